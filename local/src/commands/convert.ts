// `boxloop convert`: annotations from one format to another, through the converters the API uses.
import { readdir, stat } from "node:fs/promises";
import { formatOfFile } from "@boxloop/functions/formats/detect";
import {
  exportToPath,
  type Format,
  FormatError,
  formats,
  imagesFromDir,
  importFromPath,
  isFormat,
} from "@boxloop/functions/formats/index";
import { CliError, type Command, parseOptions } from "../command.ts";

const help = `usage: boxloop convert [--from FORMAT] [--to FORMAT] [--images DIR] [--force] [--json] IN OUT

Converts annotations between formats:
  coco      COCO detection JSON (one .json file)
  voc       Pascal VOC: a folder of .xml files, one per image
  yolo      a folder of .txt files (class cx cy w h, normalized) with classes.txt and data.yaml
  csv       filename,width,height,class,xmin,ymin,xmax,ymax (one .csv file)
  tfrecord  tf.train.Example records with the TF Object Detection API's keys (images embedded)

options:
  --from FORMAT  the format of IN (default: detected from IN)
  --to FORMAT    the format of OUT (default: from OUT's extension: .json, .csv, .record)
  --images DIR   the images: needed to read YOLO, to write TFRecord, and for sizes missing from IN
                 (default: IN's folder, IN/images or IN/../images when one holds images)
  --force        write into OUT even when it is a folder that is not empty
  --json         print a JSON summary on stdout
  -h, --help     this text`;

function formatOption(value: unknown, name: string): Format | undefined {
  if (value === undefined) return undefined;
  const v = String(value).toLowerCase();
  if (!isFormat(v)) throw new CliError(`--${name} must be one of ${formats.join(", ")}, got '${value}'`);
  return v;
}

export const command: Command = {
  help,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      {
        from: { type: "string" },
        to: { type: "string" },
        images: { type: "string" },
        force: { type: "boolean" },
        json: { type: "boolean" },
      },
      true,
    );
    if (positionals.length !== 2)
      throw new CliError(`expected IN and OUT, got ${positionals.length} path(s)\n\n${help.split("\n")[0]}`);
    const [input, output] = positionals as [string, string];
    const from = formatOption(values.from, "from");
    const to = formatOption(values.to, "to") ?? formatOfFile(output);
    // a folder format is never guessed from OUT's name
    if (!to || (values.to === undefined && (to === "voc" || to === "yolo")))
      throw new CliError(`--to is required: OUT '${output}' does not tell the format (${formats.join(", ")})`);
    const folderOutput = to === "voc" || to === "yolo";
    const existing = await stat(output).catch(() => undefined);
    if (folderOutput && existing?.isFile())
      throw new CliError(`OUT '${output}' is a file; ${to} is written as a folder`);
    if (folderOutput && existing?.isDirectory() && !values.force && (await readdir(output)).length > 0)
      throw new CliError(`OUT '${output}' is a folder that is not empty (--force writes into it)`);

    const progress = process.stderr.isTTY && !values.json;
    const started = performance.now();
    try {
      const { dataset, format, imagesDir } = await importFromPath(input, {
        ...(from ? { format: from } : {}),
        ...(values.images !== undefined ? { imagesDir: values.images } : {}),
      });
      if (progress) process.stderr.write(`read ${dataset.images.length} images from ${format} ${input}\n`);
      let loadImage: ((fileName: string) => Promise<Uint8Array>) | undefined;
      if (to === "tfrecord") {
        if (imagesDir === undefined)
          throw new CliError("--images is needed: TFRecord embeds the images, and none were found near IN");
        loadImage = (await imagesFromDir(imagesDir)).read;
      }
      let lastReport = 0;
      const written = await exportToPath(dataset, to, output, {
        ...(loadImage ? { loadImage } : {}),
        onProgress: (done, total) => {
          const now = performance.now();
          if (!progress || (now - lastReport < 200 && done < total)) return;
          lastReport = now;
          process.stderr.write(`\rwriting ${to}: ${done}/${total} images`);
          if (done === total) process.stderr.write("\n");
        },
      });
      const summary = {
        from: format,
        to,
        input,
        output,
        images: dataset.images.length,
        boxes: dataset.images.reduce((n, i) => n + i.boxes.length, 0),
        categories: dataset.categories,
        files: written.length,
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      };
      if (values.json) console.log(JSON.stringify(summary));
      else
        console.log(
          `converted ${summary.images} images, ${summary.boxes} boxes, ${summary.categories.length} categories (${summary.categories.join(", ")}) from ${format} to ${to}: ${output}${folderOutput ? ` (${written.length} files)` : ""}`,
        );
      return 0;
    } catch (error) {
      if (error instanceof FormatError) {
        const hint = values.images === undefined && /images folder/.test(error.message) ? " (pass --images DIR)" : "";
        throw new CliError(`${error.message}${hint}`, 1);
      }
      throw error;
    }
  },
};
