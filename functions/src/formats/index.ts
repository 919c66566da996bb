// Annotation formats in and out: COCO JSON, Pascal VOC XML, YOLO txt, CSV and TFRecord of tf.Example.
// Everything converts through one `Dataset` (pixel boxes). Exports stream as chunks.
import { mkdir, open, readdir, rename, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { exportCoco, importCoco } from "./coco.ts";
import { exportCsv, importCsv } from "./csv.ts";
import { type Dataset, type Format, FormatError } from "./dataset.ts";
import { detectFormat } from "./detect.ts";
import { type FileSource, type ImageSource, imagesFromDir, isImageName, sourceFromPath } from "./source.ts";
import { tarStream } from "./tar.ts";
import { exportVocFiles, importVoc } from "./voc.ts";
import { exportYoloFiles, importYolo } from "./yolo.ts";

export type { Box, Dataset, Format, ImageAnnotations } from "./dataset.ts";
export { FormatError, formats, isFormat } from "./dataset.ts";
export { detectFormat } from "./detect.ts";
export type { FileSource, ImageSource } from "./source.ts";
export { imageSource, imagesFromDir, sourceFromFiles, sourceFromPath } from "./source.ts";
export { collect } from "./text.ts";

export interface ImportOptions {
  /** The images: needed for YOLO (no sizes in its files) and for sizes missing elsewhere. */
  images?: ImageSource;
}

/** Reads a dataset in `format` from a set of files (a local path, or an upload via sourceFromFiles). */
export async function importDataset(format: Format, source: FileSource, options: ImportOptions = {}): Promise<Dataset> {
  const { images } = options;
  switch (format) {
    case "coco":
      return importCoco(source, images);
    case "voc":
      return importVoc(source, images);
    case "yolo":
      return importYolo(source, images);
    case "csv":
      return importCsv(source, images);
    case "tfrecord":
      return (await import("./tfrecord.ts")).importTfrecord(source, images);
  }
}

export interface ExportOptions {
  /** Reads an image's bytes by file name: TFRecord embeds them. */
  loadImage?: (fileName: string) => Promise<Uint8Array>;
  /** Called after each image is written. */
  onProgress?: (done: number, total: number) => void;
}

export interface ExportedFile {
  path: string;
  chunks: AsyncIterable<Uint8Array>;
}

/** The files of an export: one for COCO, CSV and TFRecord; one per image (and the class list) for VOC and YOLO. */
export async function* exportFiles(
  dataset: Dataset,
  format: Format,
  options: ExportOptions = {},
): AsyncGenerator<ExportedFile> {
  const total = dataset.images.length;
  switch (format) {
    case "coco":
      yield { path: "annotations.json", chunks: exportCoco(dataset) };
      break;
    case "csv":
      yield { path: "labels.csv", chunks: exportCsv(dataset) };
      break;
    case "tfrecord": {
      const { exportTfrecord } = await import("./tfrecord.ts");
      const { loadImage } = options;
      if (!loadImage) throw new FormatError("TFRecord embeds the images: an image loader is needed");
      yield { path: "data.record", chunks: exportTfrecord(dataset, loadImage, options.onProgress) };
      return;
    }
    case "voc":
    case "yolo": {
      let done = 0;
      const files = format === "voc" ? exportVocFiles(dataset) : exportYoloFiles(dataset);
      for (const file of files) {
        yield file;
        if (!file.path.endsWith(".yaml") && file.path !== "classes.txt") options.onProgress?.(++done, total);
      }
      return;
    }
  }
  options.onProgress?.(total, total);
}

/** One stream per export, for an HTTP response: the file itself, or a tar of the folder (VOC, YOLO). */
export async function* exportDataset(
  dataset: Dataset,
  format: Format,
  options: ExportOptions = {},
): AsyncGenerator<Uint8Array> {
  if (format === "voc" || format === "yolo") {
    yield* tarStream(exportFiles(dataset, format, options));
    return;
  }
  for await (const file of exportFiles(dataset, format, options)) yield* file.chunks;
}

/** The media type and a download name for `exportDataset`'s stream. */
export function exportMediaType(format: Format): { contentType: string; fileName: string } {
  switch (format) {
    case "coco":
      return { contentType: "application/json", fileName: "annotations.json" };
    case "csv":
      return { contentType: "text/csv; charset=utf-8", fileName: "labels.csv" };
    case "tfrecord":
      return { contentType: "application/octet-stream", fileName: "data.record" };
    case "voc":
    case "yolo":
      return { contentType: "application/x-tar", fileName: `${format}.tar` };
  }
}

async function isDir(path: string) {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** The images folder to use when none is given: beside the annotations, or an `images/` near them. */
export async function guessImagesDir(annotations: string): Promise<string | undefined> {
  const base = (await isDir(annotations)) ? annotations : dirname(annotations);
  const candidates = [base, join(base, "images"), join(base, "..", "images"), base.replace(/labels$/, "images")];
  for (const dir of candidates) {
    if (!(await isDir(dir))) continue;
    // only the folder's own files: a guess must not walk a large tree
    const names = await readdir(dir);
    if (names.some(isImageName)) return dir;
  }
  return undefined;
}

/** Reads annotations from a local path (format detected unless given), as `boxloop train` and `convert` do. */
export async function importFromPath(
  path: string,
  options: { format?: Format; imagesDir?: string } = {},
): Promise<{ dataset: Dataset; format: Format; imagesDir: string | undefined }> {
  const format = options.format ?? (await detectFormat(path));
  const imagesDir = options.imagesDir ?? (await guessImagesDir(path));
  if (options.imagesDir !== undefined && !(await isDir(options.imagesDir)))
    throw new FormatError("the images folder does not exist", { file: options.imagesDir });
  const images = imagesDir === undefined ? undefined : await imagesFromDir(imagesDir);
  const dataset = await importDataset(format, await sourceFromPath(path), images ? { images } : {});
  return { dataset, format, imagesDir };
}

async function writeFileAtomic(path: string, chunks: AsyncIterable<Uint8Array>) {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const handle = await open(temp, "w");
  try {
    for await (const chunk of chunks) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/**
 * Writes an export to a local path: a file for COCO, CSV and TFRecord (or that file inside `out` when
 * `out` is a folder), a folder for VOC and YOLO. Returns the paths written.
 */
export async function exportToPath(
  dataset: Dataset,
  format: Format,
  out: string,
  options: ExportOptions = {},
): Promise<string[]> {
  const folder = format === "voc" || format === "yolo";
  const written: string[] = [];
  for await (const file of exportFiles(dataset, format, options)) {
    const path = folder || (await isDir(out)) ? join(out, file.path) : out;
    await writeFileAtomic(path, file.chunks);
    written.push(path);
  }
  return written;
}
