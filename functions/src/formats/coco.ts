// COCO detection JSON: images, annotations with `bbox: [x, y, width, height]` in pixels, categories.
// Exported with category ids 1..K in the dataset's order, image and annotation ids from 1.
import { z } from "zod";
import { checkBox, checkSize, type Dataset, FormatError, type ImageAnnotations } from "./dataset.ts";
import { type FileSource, type ImageSource, sizeFromImages } from "./source.ts";
import { decodeUtf8, utf8Chunks } from "./text.ts";
import { formatZodError } from "./zod-error.ts";

const id = z.union([z.number(), z.string()]);
const cocoSchema = z.object({
  images: z.array(
    z.object({
      id,
      file_name: z.string().min(1),
      width: z.number().int().positive().optional(),
      height: z.number().int().positive().optional(),
    }),
  ),
  annotations: z.array(
    z.object({
      image_id: id,
      category_id: id,
      bbox: z.tuple([z.number(), z.number(), z.number().nonnegative(), z.number().nonnegative()]),
    }),
  ),
  categories: z.array(z.object({ id, name: z.string().min(1) })).min(1),
});

export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FormatError(`invalid JSON: ${(error as Error).message}`, { file });
  }
}

export async function importCoco(source: FileSource, images?: ImageSource): Promise<Dataset> {
  const names = (await source.list()).filter((n) => n.toLowerCase().endsWith(".json"));
  if (names.length !== 1)
    throw new FormatError(
      `expected one COCO .json file, found ${names.length}${names.length ? `: ${names.join(", ")}` : ""}`,
    );
  const file = names[0]!;
  const parsed = cocoSchema.safeParse(parseJson(decodeUtf8(await source.read(file), file), file));
  if (!parsed.success) throw formatZodError(parsed.error, file);
  const coco = parsed.data;

  const categoryName = new Map<string | number, string>();
  const sortedCategories = [...coco.categories].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const [i, c] of coco.categories.entries()) {
    if (categoryName.has(c.id))
      throw new FormatError(`duplicate category id ${c.id}`, { file, field: `categories[${i}].id` });
    categoryName.set(c.id, c.name);
  }
  const byId = new Map<string | number, ImageAnnotations>();
  for (const [i, image] of coco.images.entries()) {
    if (byId.has(image.id)) throw new FormatError(`duplicate image id ${image.id}`, { file, field: `images[${i}].id` });
    let { width, height } = image;
    if (width === undefined || height === undefined)
      ({ width, height } = await sizeFromImages(images, image.file_name, { file, field: `images[${i}].width` }));
    checkSize(width, height, { file, field: `images[${i}]` });
    byId.set(image.id, { fileName: image.file_name, width, height, boxes: [] });
  }
  for (const [i, a] of coco.annotations.entries()) {
    const image = byId.get(a.image_id);
    if (!image) throw new FormatError(`no image has id ${a.image_id}`, { file, field: `annotations[${i}].image_id` });
    const label = categoryName.get(a.category_id);
    if (label === undefined)
      throw new FormatError(`no category has id ${a.category_id}`, { file, field: `annotations[${i}].category_id` });
    const [x, y, w, h] = a.bbox;
    image.boxes.push(checkBox({ label, xmin: x, ymin: y, xmax: x + w, ymax: y + h }, { file }, `annotations[${i}].`));
  }
  return { categories: sortedCategories.map((c) => c.name), images: [...byId.values()] };
}

export function exportCoco(dataset: Dataset): AsyncIterable<Uint8Array> {
  const categoryId = new Map(dataset.categories.map((name, i) => [name, i + 1]));
  return utf8Chunks(
    (function* () {
      yield '{"info":{"description":"exported by boxloop"},"licenses":[],"categories":[';
      yield dataset.categories.map((name, i) => JSON.stringify({ id: i + 1, name, supercategory: "none" })).join(",");
      yield '],"images":[';
      for (const [i, image] of dataset.images.entries())
        yield `${i ? "," : ""}${JSON.stringify({ id: i + 1, file_name: image.fileName, width: image.width, height: image.height })}`;
      yield '],"annotations":[';
      let annotationId = 0;
      for (const [i, image] of dataset.images.entries())
        for (const b of image.boxes) {
          const id = categoryId.get(b.label);
          if (id === undefined)
            throw new FormatError(`the label '${b.label}' is not among the categories`, { file: image.fileName });
          const w = b.xmax - b.xmin;
          const h = b.ymax - b.ymin;
          const annotation = {
            id: ++annotationId,
            image_id: i + 1,
            category_id: id,
            bbox: [b.xmin, b.ymin, w, h],
            area: w * h,
            iscrowd: 0,
          };
          yield `${annotationId > 1 ? "," : ""}${JSON.stringify(annotation)}`;
        }
      yield "]}\n";
    })(),
  );
}
