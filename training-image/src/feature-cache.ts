// Features of (image, view) kept on local disk between runs, so that a retrain of the loop computes
// only its new images' features. The key covers everything the features depend on (image bytes,
// boxes, augmentations and the view's seed, input size, resize, backbone); the least recently used
// entries go once the folder outgrows its budget. Entries are written to a temporary file and renamed.
import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { AugmentationSpec, NormBox } from "./augment.ts";
import type { CachedFeatures } from "./features.ts";
import type { ResizeMode } from "./image.ts";
import { pretrainedName } from "./pretrained.ts";

export interface FeatureKey {
  imageHash: string;
  boxes: NormBox[];
  augmentations: AugmentationSpec[];
  seed: number | undefined;
  imageSize: number;
  resize: ResizeMode;
}

export class FeatureCache {
  private counter = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes = 4 * 1024 ** 3,
  ) {}

  static key(k: FeatureKey): string {
    return createHash("sha256")
      .update(
        JSON.stringify([pretrainedName, k.imageSize, k.resize, k.augmentations, k.seed ?? null, k.boxes, k.imageHash]),
      )
      .digest("hex");
  }

  private path(key: string): string {
    return join(this.dir, `${key}.bin`);
  }

  /** A cached entry (and marks it used), or undefined; an unreadable entry counts as missing. */
  async get(key: string): Promise<CachedFeatures | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path(key));
    } catch {
      return undefined;
    }
    try {
      const headerLength = bytes.readUInt32LE(0);
      const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString("utf8")) as Omit<
        CachedFeatures,
        "features"
      >;
      const start = 4 + headerLength;
      const features = new Float32Array(header.grid * header.grid * header.channels);
      if (bytes.length - start !== features.byteLength) return undefined;
      new Uint8Array(features.buffer).set(bytes.subarray(start));
      const now = new Date();
      await utimes(this.path(key), now, now).catch(() => {});
      return { ...header, features };
    } catch {
      return undefined;
    }
  }

  async put(key: string, f: CachedFeatures): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const header = Buffer.from(JSON.stringify({ grid: f.grid, channels: f.channels, boxes: f.boxes }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    const tmp = join(this.dir, `.${process.pid}-${++this.counter}.tmp`);
    const file = await open(tmp, "w");
    try {
      await file.writev([
        length,
        header,
        new Uint8Array(f.features.buffer, f.features.byteOffset, f.features.byteLength),
      ]);
    } finally {
      await file.close();
    }
    await rename(tmp, this.path(key));
  }

  /** Removes the least recently used entries until the folder fits its budget. */
  async trim(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries = await Promise.all(
      names
        .filter((n) => n.endsWith(".bin"))
        .map(async (name) => ({ name, ...(await stat(join(this.dir, name)).catch(() => ({ size: 0, mtimeMs: 0 }))) })),
    );
    entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
    let total = 0;
    for (const e of entries) {
      total += e.size;
      if (total > this.maxBytes) await rm(join(this.dir, e.name), { force: true });
    }
  }
}
