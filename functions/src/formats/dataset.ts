// The one in-memory shape every annotation format converts to and from. Boxes are in pixels, with
// the corner convention of the TF Object Detection API's tools: (xmin, ymin) to (xmax, ymax), no ±1.

export interface Box {
  label: string;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

export interface ImageAnnotations {
  /** The image's file name, relative to the images folder (e.g. `raccoon-1.jpg`). */
  fileName: string;
  width: number;
  height: number;
  boxes: Box[];
}

export interface Dataset {
  /** Labels in their class order: index 0 is class id 1 in COCO and TFRecord, 0 in YOLO. */
  categories: string[];
  images: ImageAnnotations[];
}

export const formats = ["coco", "voc", "yolo", "csv", "tfrecord"] as const;
export type Format = (typeof formats)[number];

export function isFormat(name: string): name is Format {
  return (formats as readonly string[]).includes(name);
}

/** Malformed input, located: `file:line: field: message` (any part may be absent). */
export class FormatError extends Error {
  constructor(
    readonly detail: string,
    readonly where: { file?: string; line?: number; field?: string } = {},
  ) {
    const place = [where.file, where.line].filter((p) => p !== undefined).join(":");
    super(`${place ? `${place}: ` : ""}${where.field ? `${where.field}: ` : ""}${detail}`);
    this.name = "FormatError";
  }
}

/** Checks a box's numbers, throwing a FormatError at `where`, naming the field as `${prefix}${key}`. */
export function checkBox(box: Box, where: { file?: string; line?: number }, prefix = ""): Box {
  for (const key of ["xmin", "ymin", "xmax", "ymax"] as const) {
    if (!Number.isFinite(box[key]))
      throw new FormatError(`must be a finite number, got ${box[key]}`, { ...where, field: `${prefix}${key}` });
  }
  if (box.label === "") throw new FormatError("the label is empty", { ...where, field: `${prefix}label` });
  if (box.xmax < box.xmin)
    throw new FormatError(`xmax ${box.xmax} is less than xmin ${box.xmin}`, { ...where, field: `${prefix}xmax` });
  if (box.ymax < box.ymin)
    throw new FormatError(`ymax ${box.ymax} is less than ymin ${box.ymin}`, { ...where, field: `${prefix}ymax` });
  return box;
}

/** Checks an image size, throwing a FormatError located at `where`. */
export function checkSize(width: number, height: number, where: { file?: string; line?: number; field?: string }) {
  for (const [name, v] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new FormatError(`${name} must be a positive integer, got ${v}`, where);
  }
}

/** Categories in first-seen order of the boxes, after those already known. */
export function collectCategories(images: ImageAnnotations[], known: string[] = []): string[] {
  const seen = new Set(known);
  const out = [...known];
  for (const image of images)
    for (const box of image.boxes)
      if (!seen.has(box.label)) {
        seen.add(box.label);
        out.push(box.label);
      }
  return out;
}

/** The file name without folders and extension: the key that ties YOLO/VOC files to their image. */
export function stem(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}
