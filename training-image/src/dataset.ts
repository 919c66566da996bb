// Training and evaluation images with their boxes, from TFRecords of TF OD API tf.Examples (local or
// s3://), from DetectionExamples handed in memory, or from annotations (any format) plus an image folder.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { type DetectionExample, decodeDetectionExample } from "@boxloop/proto/example";
import { readTFRecords } from "@boxloop/proto/tfrecord";
import type { NormBox } from "./augment.ts";
import { readBytes } from "./storage.ts";

export interface TrainImage {
  key: string;
  load(): Promise<Uint8Array>;
  /** 0-based class ids, normalized ymin, xmin, ymax, xmax. */
  boxes: NormBox[];
}

/** A user's mistake in the data: reported as one clear line, never a stack trace. */
export class DataError extends Error {
  override readonly name = "DataError";
}

function classIndex(labels: string[], text: string, id: number, where: string, missing: Set<string>): number {
  if (text !== "") {
    const i = labels.indexOf(text);
    if (i < 0) missing.add(text);
    return i;
  }
  if (id >= 1 && id <= labels.length) return id - 1;
  missing.add(`#${id}`);
  void where;
  return -1;
}

function checkMissing(missing: Set<string>, labels: string[], source: string): void {
  if (missing.size > 0)
    throw new DataError(
      `${source}: labels missing from the label map: ${[...missing].sort().join(", ")} (label map: ${labels.join(", ")})`,
    );
}

export function imagesFromExamples(examples: DetectionExample[], labels: string[], source = "examples"): TrainImage[] {
  const missing = new Set<string>();
  const images = examples.map((e, n) => {
    const key = e.filename || e.sourceId || `${source}#${n}`;
    const boxes = e.objects.map((o) => ({
      cls: classIndex(labels, o.text, o.label, key, missing),
      ymin: o.ymin,
      xmin: o.xmin,
      ymax: o.ymax,
      xmax: o.xmax,
    }));
    const bytes = e.encoded;
    return { key, load: async () => bytes, boxes };
  });
  checkMissing(missing, labels, source);
  return images;
}

/** Reads a TFRecord file (path or s3:// URI) of detection tf.Examples. */
export async function imagesFromTFRecord(uri: string, labels: string[]): Promise<TrainImage[]> {
  const examples: DetectionExample[] = [];
  let n = 0;
  for await (const record of readTFRecords(await readBytes(uri))) {
    n++;
    try {
      examples.push(decodeDetectionExample(new Uint8Array(record)));
    } catch (error) {
      throw new DataError(`${uri}: record ${n}: ${(error as Error).message}`);
    }
  }
  return imagesFromExamples(examples, labels, uri);
}

/** Annotations in the formats helper's shape (pixel boxes) + a folder of images. */
export interface AnnotatedImage {
  fileName: string;
  width: number;
  height: number;
  boxes: Array<{ label: string; xmin: number; ymin: number; xmax: number; ymax: number }>;
}

export async function imagesFromAnnotations(
  annotated: AnnotatedImage[],
  imagesDir: string,
  labels: string[],
): Promise<TrainImage[]> {
  const missing = new Set<string>();
  const absent: string[] = [];
  const out: TrainImage[] = [];
  for (const a of annotated) {
    const path = join(imagesDir, a.fileName);
    await access(path).catch(() => absent.push(a.fileName));
    const boxes = a.boxes.map((b) => ({
      cls: classIndex(labels, b.label, 0, a.fileName, missing),
      ymin: b.ymin / a.height,
      xmin: b.xmin / a.width,
      ymax: b.ymax / a.height,
      xmax: b.xmax / a.width,
    }));
    out.push({ key: a.fileName, load: () => readBytes(path), boxes });
  }
  if (absent.length > 0)
    throw new DataError(
      `${absent.length} image(s) named by the annotations are missing from ${imagesDir}: ${absent.slice(0, 5).join(", ")}${absent.length > 5 ? ", …" : ""}`,
    );
  checkMissing(missing, labels, "annotations");
  return out;
}

export function requireImages(images: TrainImage[], what: string): void {
  if (images.length === 0)
    throw new DataError(`${what} is empty: no images to ${what.startsWith("eval") ? "evaluate on" : "train on"}`);
}
