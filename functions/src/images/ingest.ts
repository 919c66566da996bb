// Adding an image to a campaign: size read from the bytes (never from the client), id from the
// content hash so a duplicate is found by its id. The bytes are written before the metadata, and
// the metadata with If-None-Match: *, so an image is in the campaign exactly when its .json exists.
import { createHash } from "node:crypto";
import { z } from "@hono/zod-openapi";
import { imageSize } from "image-size";
import { ApiError } from "../errors.ts";
import { layout } from "../layout.ts";
import { getJson, isPreconditionFailed, type Store } from "../storage/port.ts";

const mediaTypes: Record<string, string> = {
  jpg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  bmp: "image/bmp",
  webp: "image/webp",
  tiff: "image/tiff",
};

export const ImageMeta = z
  .object({
    id: z.string(),
    ext: z.string(),
    contentType: z.string(),
    width: z.int(),
    height: z.int(),
    sha256: z.string(),
    bytes: z.int(),
    fileName: z.string(),
    split: z.enum(["train", "eval"]),
    addedAt: z.string(),
  })
  .openapi("Image");
export type ImageMeta = z.infer<typeof ImageMeta>;

export const maxImageBytes = 50 * 1024 * 1024;

/** Width, height and extension from the bytes; 422 naming `field` when they are not an image we take. */
export function probe(bytes: Uint8Array, field = "file"): { width: number; height: number; ext: string } {
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(bytes);
  } catch {
    throw new ApiError(422, "not_an_image", "not an image (jpg, png, gif, bmp, webp, tiff)", field);
  }
  const ext = size.type === "jpeg" ? "jpg" : size.type === "tif" ? "tiff" : (size.type ?? "");
  if (!(ext in mediaTypes)) throw new ApiError(422, "unsupported_image", `unsupported image type ${ext}`, field);
  if (!(size.width > 0 && size.height > 0)) throw new ApiError(422, "not_an_image", "image has no size", field);
  return { width: size.width, height: size.height, ext };
}

/** Deterministic held-out split from the content hash. */
function splitOf(sha256: string, heldOutFraction: number): "train" | "eval" {
  return Number.parseInt(sha256.slice(0, 8), 16) / 2 ** 32 < heldOutFraction ? "eval" : "train";
}

export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).at(-1) ?? "";
  return (
    base
      .replace(/[^\w.@=-]/g, "_")
      .replace(/^\.+/, "")
      .slice(0, 200) || "image"
  );
}

export async function ingestImage(
  store: Store,
  campaign: { id: string; heldOutFraction: number },
  bytes: Uint8Array,
  fileName: string,
  now: Date,
): Promise<{ image: ImageMeta; duplicate: boolean }> {
  if (bytes.byteLength > maxImageBytes) throw new ApiError(413, "too_large", "image over 50 MB", "file");
  const { width, height, ext } = probe(bytes);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const id = sha256.slice(0, 32);
  const metaKey = layout.imageMeta(campaign.id, id);
  const existing = await getJson(store, metaKey);
  if (existing !== undefined) return { image: ImageMeta.parse(existing.value), duplicate: true };
  const image: ImageMeta = {
    id,
    ext,
    contentType: mediaTypes[ext]!,
    width,
    height,
    sha256,
    bytes: bytes.byteLength,
    fileName: safeFileName(fileName),
    split: splitOf(sha256, campaign.heldOutFraction),
    addedAt: now.toISOString(),
  };
  const bytesKey = layout.imageBytes(campaign.id, id, ext);
  if ((await store.head(bytesKey)) === undefined) {
    await store.put(bytesKey, bytes, { contentType: image.contentType });
  }
  try {
    await store.put(metaKey, JSON.stringify(image), { ifNoneMatch: "*", contentType: "application/json" });
    return { image, duplicate: false };
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    const raced = await getJson(store, metaKey);
    return { image: ImageMeta.parse(raced!.value), duplicate: true };
  }
}

export async function loadImage(store: Store, cid: string, iid: string): Promise<ImageMeta | undefined> {
  const found = await getJson(store, layout.imageMeta(cid, iid));
  return found === undefined ? undefined : ImageMeta.parse(found.value);
}
