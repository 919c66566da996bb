// A campaign's final labels as a formats Dataset: per image the admin's adjudication when there is
// one, else the single accepted answer, else the consolidation of the accepted answers. Images with
// no accepted answer are left out. Used by exports and by the training snapshot.
import type { Campaign } from "../campaigns/schema.ts";
import type { Dataset, ImageAnnotations } from "../formats/index.ts";
import type { ImageMeta } from "../images/ingest.ts";
import { ImageMeta as ImageMetaSchema } from "../images/ingest.ts";
import { layout } from "../layout.ts";
import { consolidate } from "../review/consolidate.ts";
import { getJson, listAll, type Store } from "../storage/port.ts";
import { Annotation, type Box } from "./schema.ts";

export interface LabelledImage {
  image: ImageMeta;
  fileName: string;
  boxes: Box[];
}

/** Export file names: the uploaded name when unique in the campaign, else `<iid>.<ext>`. */
export function fileNames(images: ImageMeta[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const i of images) count.set(i.fileName, (count.get(i.fileName) ?? 0) + 1);
  return new Map(images.map((i) => [i.id, count.get(i.fileName) === 1 ? i.fileName : `${i.id}.${i.ext}`]));
}

export async function campaignImages(store: Store, cid: string): Promise<ImageMeta[]> {
  const out: ImageMeta[] = [];
  for await (const item of listAll(store, layout.images(cid))) {
    if (!item.key.endsWith(".json")) continue;
    const parsed = ImageMetaSchema.safeParse((await getJson(store, item.key))?.value);
    if (parsed.success) out.push(parsed.data);
  }
  return out.sort((a, b) => a.addedAt.localeCompare(b.addedAt) || a.id.localeCompare(b.id));
}

export async function* labelledImages(
  store: Store,
  campaign: Campaign,
  split: "train" | "eval" | "all" = "all",
): AsyncGenerator<LabelledImage> {
  const images = await campaignImages(store, campaign.id);
  const names = fileNames(images);
  for (const image of images) {
    if (split !== "all" && image.split !== split) continue;
    const review = await getJson(store, layout.review(campaign.id, image.id));
    const adjudicated = (review?.value as { boxes?: Box[] } | undefined)?.boxes;
    let boxes: Box[] | undefined = adjudicated;
    if (boxes === undefined) {
      const answers: Annotation[] = [];
      for await (const item of listAll(store, layout.imageAnnotations(campaign.id, image.id))) {
        const parsed = Annotation.safeParse((await getJson(store, item.key))?.value);
        if (parsed.success && parsed.data.answer === "accept") answers.push(parsed.data);
      }
      if (answers.length === 0) continue;
      boxes = answers.length === 1 ? answers[0]!.boxes : consolidate(answers).boxes;
    }
    yield { image, fileName: names.get(image.id)!, boxes };
  }
}

export async function campaignDataset(store: Store, campaign: Campaign, split: "train" | "eval" | "all" = "all") {
  const images: ImageAnnotations[] = [];
  const files = new Map<string, ImageMeta>();
  for await (const { image, fileName, boxes } of labelledImages(store, campaign, split)) {
    files.set(fileName, image);
    images.push({
      fileName,
      width: image.width,
      height: image.height,
      boxes: boxes.map((b) => ({ label: b.label, xmin: b.x, ymin: b.y, xmax: b.x + b.width, ymax: b.y + b.height })),
    });
  }
  const dataset: Dataset = { categories: [...campaign.labels], images };
  return { dataset, files };
}
