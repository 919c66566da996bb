// `boxloop eval`: COCO metrics (and VOC AP50) of a SavedModel version on annotations, as JSON.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { detectFormat, FormatError, importFromPath } from "@boxloop/functions/formats/index";
import { DataError, imagesFromAnnotations, imagesFromTFRecord } from "@boxloop/training-image/dataset";
import { evaluateServing } from "@boxloop/training-image/run";
import { CliError, type Command, parseOptions, required } from "../command.ts";

const help = `usage: boxloop eval --model DIR --annotations PATH [--images DIR] [--json]

Prints COCO metrics (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, …) and VOC AP50 as JSON.

options:
  --model DIR          a SavedModel version directory (with boxloop.json for its labels), local or s3://
  --annotations PATH   COCO JSON, Pascal VOC folder, CSV, YOLO folder or TFRecord (detected)
  --images DIR         the images (not needed for TFRecord)
  --json               one JSON line (the default output is indented JSON)`;

export const command: Command = {
  help,
  async run(argv) {
    const { values } = parseOptions(argv, {
      model: { type: "string" },
      annotations: { type: "string" },
      images: { type: "string" },
      json: { type: "boolean" },
    });
    const model = required(values, "model");
    const annotations = required(values, "annotations");
    try {
      let labels: string[] | undefined;
      if (!model.startsWith("s3://")) {
        const info = await readFile(join(model, "boxloop.json"), "utf8").catch(() => undefined);
        if (info) labels = (JSON.parse(info) as { labels?: string[] }).labels;
      }
      let images: Awaited<ReturnType<typeof imagesFromTFRecord>>;
      if ((await detectFormat(annotations)) === "tfrecord") {
        const { dataset } = await importFromPath(annotations);
        labels ??= dataset.categories;
        images = await imagesFromTFRecord(annotations, labels);
      } else {
        const { dataset, imagesDir } = await importFromPath(
          annotations,
          values.images ? { imagesDir: values.images } : {},
        );
        if (!imagesDir) throw new CliError(`--images is required: no images folder found beside ${annotations}`);
        labels ??= dataset.categories;
        images = await imagesFromAnnotations(dataset.images, imagesDir, labels);
      }
      if (images.length === 0) throw new CliError(`${annotations}: no images to evaluate on`);
      const e = await evaluateServing(model, images, labels);
      const out = {
        ...e.coco,
        vocAP50: e.vocAP50,
        images: e.images,
        skippedImages: e.skippedImages,
        perClass: e.cocoPerClass,
      };
      process.stdout.write(`${values.json ? JSON.stringify(out) : JSON.stringify(out, null, 2)}\n`);
      return 0;
    } catch (error) {
      if (error instanceof DataError || error instanceof FormatError) throw new CliError(error.message);
      throw error;
    }
  },
};
