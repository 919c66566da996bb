// `boxloop train`: annotations in any format (detected from the path) + images -> a trained detector,
// evaluated on --eval-annotations, exported as the next SavedModel version under --export-dir.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { detectFormat, FormatError, importFromPath } from "@boxloop/functions/formats/index";
import { defaultConfig, sizedFor, trainerConfigFromPipeline, withSteps } from "@boxloop/training-image/config";
import { DataError, imagesFromAnnotations, imagesFromTFRecord, type TrainImage } from "@boxloop/training-image/dataset";
import { barProgress, jsonProgress } from "@boxloop/training-image/progress";
import { runTraining, summaryOf } from "@boxloop/training-image/run";
import { CliError, type Command, parseOptions, positiveInt, required } from "../command.ts";

const help = `usage: boxloop train --annotations PATH [--images DIR] --model-dir DIR --export-dir DIR [options]

Trains a detector (COCO CenterNet features + a head fine-tuned from its own) and exports a SavedModel.

options:
  --annotations PATH       COCO JSON, Pascal VOC folder, CSV, YOLO folder or TFRecord (detected)
  --images DIR             the images (not needed for TFRecord; guessed beside the annotations)
  --eval-annotations PATH  held-out annotations to evaluate on (COCO metrics printed)
  --eval-images DIR        their images (default: --images)
  --config FILE            pipeline.config (TF OD API text format); default: made from the labels
  --model-dir DIR          checkpoints (resumed from the newest); local or s3://
  --export-dir DIR         the next version goes to DIR/<model-name>/<n>/; local or s3://
  --model-name NAME        default: the annotations' base name
  --num-steps N            overrides train_config.num_steps
  --steps-per-epoch N      sets how many augmented views of each image are cached
  --seed N                 default 1
  --json                   progress and the result as JSON lines`;

async function load(path: string, imagesDir: string | undefined, labels: string[] | undefined) {
  if ((await detectFormat(path)) === "tfrecord") {
    if (!labels)
      throw new CliError("a TFRecord needs the labels: give --config with a label_map_path, or other annotations");
    return { images: await imagesFromTFRecord(path, labels), labels };
  }
  const { dataset, imagesDir: dir } = await importFromPath(path, imagesDir ? { imagesDir } : {});
  if (!dir) throw new CliError(`--images is required: no images folder found beside ${path}`);
  const names = labels ?? dataset.categories;
  return { images: await imagesFromAnnotations(dataset.images, dir, names), labels: names };
}

async function tfrecordLabels(path: string): Promise<string[]> {
  const { dataset } = await importFromPath(path);
  return dataset.categories;
}

export const command: Command = {
  help,
  async run(argv) {
    const { values } = parseOptions(argv, {
      annotations: { type: "string" },
      images: { type: "string" },
      "eval-annotations": { type: "string" },
      "eval-images": { type: "string" },
      config: { type: "string" },
      "model-dir": { type: "string" },
      "export-dir": { type: "string" },
      "model-name": { type: "string" },
      "num-steps": { type: "string" },
      "steps-per-epoch": { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
    });
    const annotations = required(values, "annotations");
    const modelDir = required(values, "model-dir");
    const exportDir = required(values, "export-dir");
    const json = values.json ?? false;
    const log = (line: string) =>
      json
        ? process.stdout.write(`${JSON.stringify({ type: "log", message: line })}\n`)
        : process.stderr.write(`${line}\n`);
    try {
      const first = (await detectFormat(annotations)) === "tfrecord" ? await tfrecordLabels(annotations) : undefined;
      const train = await load(annotations, values.images, first);
      if (train.images.length === 0)
        throw new CliError(`${annotations}: the training set is empty: no images to train on`);
      if (train.labels.length === 0) throw new CliError(`${annotations}: no labels: the annotations have no boxes`);
      let evalImages: TrainImage[] | undefined;
      if (values["eval-annotations"]) {
        evalImages = (await load(values["eval-annotations"], values["eval-images"] ?? values.images, train.labels))
          .images;
      }
      const parsed = values.config
        ? trainerConfigFromPipeline(await readFile(values.config, "utf8"), train.labels.length, values.config)
        : { config: defaultConfig(train.labels.length), warnings: [] };
      for (const w of parsed.warnings) log(`${values.config}: ${w.message}`);
      let config = parsed.config;
      if (values["num-steps"] !== undefined) config = withSteps(config, positiveInt(values, "num-steps"));
      else if (!values.config) config = sizedFor(config, train.images.length);
      const hash = createHash("sha256");
      for (const img of train.images) hash.update(img.key).update(JSON.stringify(img.boxes));
      const result = await runTraining({
        train: train.images,
        ...(evalImages ? { eval: evalImages } : {}),
        labels: train.labels,
        config,
        modelDir,
        exportDir,
        modelName: values["model-name"] ?? (basename(annotations).replace(/\.[^.]*$/, "") || "model"),
        ...(values["steps-per-epoch"] !== undefined ? { stepsPerEpoch: positiveInt(values, "steps-per-epoch") } : {}),
        seed: values.seed !== undefined ? positiveInt(values, "seed") : 1,
        dataHash: hash.digest("hex"),
        progress: json ? jsonProgress() : barProgress(),
        log,
      });
      const summary = {
        type: "result",
        exported: result.exported.uri,
        version: result.exported.version,
        step: result.step,
        resumedFrom: result.startStep,
        trainImages: result.trainImages,
        skippedImages: result.skippedImages.length,
        backend: result.backend,
        seconds: Number(result.totalSeconds.toFixed(1)),
        imagesPerSecond: Number(result.imagesPerSecond.toFixed(2)),
        metrics: result.candidate ? summaryOf(result.candidate) : null,
      };
      if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        if (result.skippedImages.length > 0) log(`skipped ${result.skippedImages.length} unreadable image(s)`);
        const m = summary.metrics;
        log(
          `exported ${summary.exported} (step ${summary.step}, ${summary.seconds}s on ${summary.backend})${m ? `: AP50 ${m.AP50!.toFixed(3)} AP ${m.AP!.toFixed(3)}` : ""}`,
        );
      }
      return 0;
    } catch (error) {
      if (error instanceof DataError || error instanceof FormatError) throw new CliError(error.message);
      throw error;
    }
  },
};
