// Pascal VOC: one XML file per image (`<annotation>` with filename, size and `<object>`s holding a
// name and a bndbox in pixels). Sizes missing or 0 are read from the image.
import {
  type Box,
  checkBox,
  checkSize,
  collectCategories,
  type Dataset,
  FormatError,
  type ImageAnnotations,
} from "./dataset.ts";
import { type FileSource, type ImageSource, sizeFromImages } from "./source.ts";
import { decodeUtf8, utf8Chunks } from "./text.ts";
import { escapeXml, parseXml, type XmlElement } from "./xml.ts";

function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

function number(element: XmlElement, name: string, file: string, field: string): number {
  const c = child(element, name);
  if (!c) throw new FormatError(`<${name}> is missing`, { file, line: element.line, field });
  const raw = c.text.trim();
  const n = raw === "" ? Number.NaN : Number(raw);
  if (!Number.isFinite(n)) throw new FormatError(`expected a number, got '${raw}'`, { file, line: c.line, field });
  return n;
}

export async function parseVocFile(xml: string, file: string, images?: ImageSource): Promise<ImageAnnotations> {
  const root = parseXml(xml, file);
  if (root.name !== "annotation")
    throw new FormatError(`the root element is <${root.name}>, expected <annotation>`, { file, line: root.line });
  const fileName = child(root, "filename")?.text.trim();
  if (!fileName) throw new FormatError("<filename> is missing or empty", { file, line: root.line, field: "filename" });
  const size = child(root, "size");
  let width = size && child(size, "width") ? number(size, "width", file, "size.width") : 0;
  let height = size && child(size, "height") ? number(size, "height", file, "size.height") : 0;
  if (width === 0 || height === 0)
    ({ width, height } = await sizeFromImages(images, fileName, { file, field: "size" }));
  checkSize(width, height, { file, line: size?.line ?? root.line, field: "size" });
  const boxes: Box[] = [];
  for (const [i, object] of root.children.filter((c) => c.name === "object").entries()) {
    const field = `object[${i}]`;
    const label = child(object, "name")?.text.trim();
    if (!label)
      throw new FormatError("<name> is missing or empty", { file, line: object.line, field: `${field}.name` });
    const bndbox = child(object, "bndbox");
    if (!bndbox) throw new FormatError("<bndbox> is missing", { file, line: object.line, field: `${field}.bndbox` });
    const coord = (k: string) => number(bndbox, k, file, `${field}.bndbox.${k}`);
    const box = { label, xmin: coord("xmin"), ymin: coord("ymin"), xmax: coord("xmax"), ymax: coord("ymax") };
    boxes.push(checkBox(box, { file, line: bndbox.line }, `${field}.bndbox.`));
  }
  return { fileName, width, height, boxes };
}

export async function importVoc(source: FileSource, images?: ImageSource): Promise<Dataset> {
  const names = (await source.list()).filter((n) => n.toLowerCase().endsWith(".xml"));
  if (names.length === 0) throw new FormatError("no .xml file found");
  const list: ImageAnnotations[] = [];
  for (const file of names) list.push(await parseVocFile(decodeUtf8(await source.read(file), file), file, images));
  return { categories: collectCategories(list), images: list };
}

/** `raccoon-1.jpg` → `raccoon-1.xml` (folders kept). */
export function vocFileName(fileName: string): string {
  const slash = fileName.lastIndexOf("/");
  const dot = fileName.lastIndexOf(".");
  return `${dot > slash + 1 ? fileName.slice(0, dot) : fileName}.xml`;
}

export function vocXml(image: ImageAnnotations): string {
  const slash = image.fileName.lastIndexOf("/");
  const lines = [
    "<annotation>",
    `\t<folder>${escapeXml(slash >= 0 ? image.fileName.slice(0, slash) : "images")}</folder>`,
    `\t<filename>${escapeXml(image.fileName)}</filename>`,
    "\t<size>",
    `\t\t<width>${image.width}</width>`,
    `\t\t<height>${image.height}</height>`,
    "\t\t<depth>3</depth>",
    "\t</size>",
    "\t<segmented>0</segmented>",
  ];
  for (const b of image.boxes)
    lines.push(
      "\t<object>",
      `\t\t<name>${escapeXml(b.label)}</name>`,
      "\t\t<pose>Unspecified</pose>",
      "\t\t<truncated>0</truncated>",
      "\t\t<difficult>0</difficult>",
      "\t\t<bndbox>",
      `\t\t\t<xmin>${b.xmin}</xmin>`,
      `\t\t\t<ymin>${b.ymin}</ymin>`,
      `\t\t\t<xmax>${b.xmax}</xmax>`,
      `\t\t\t<ymax>${b.ymax}</ymax>`,
      "\t\t</bndbox>",
      "\t</object>",
    );
  lines.push("</annotation>\n");
  return lines.join("\n");
}

/** One XML file per image. */
export function* exportVocFiles(dataset: Dataset): Generator<{ path: string; chunks: AsyncIterable<Uint8Array> }> {
  const seen = new Set<string>();
  for (const image of dataset.images) {
    const path = vocFileName(image.fileName);
    if (seen.has(path)) throw new FormatError(`two images would both be written to ${path}`, { file: image.fileName });
    seen.add(path);
    yield { path, chunks: utf8Chunks([vocXml(image)]) };
  }
}
