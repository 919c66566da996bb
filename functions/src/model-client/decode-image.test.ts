import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import sharp from "sharp";
import { decodeToRgb } from "./decode-image.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "..", "shared", "datasets", "raccoon", "images");

async function reference(bytes: Uint8Array) {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function differences(a: Uint8Array, b: Uint8Array) {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}

test("JPEGs decode to libjpeg's pixels (sharp) up to IDCT rounding", async () => {
  for (const name of ["raccoon-1.jpg", "raccoon-17.jpg", "raccoon-100.jpg"]) {
    const bytes = readFileSync(join(raccoon, name));
    const [ours, ref] = [await decodeToRgb(bytes), await reference(bytes)];
    assert.deepEqual([ours.width, ours.height], [ref.width, ref.height], name);
    const d = differences(ours.data, ref.data);
    assert.ok(d.mean < 1 && d.max <= 4, `${name}: ${JSON.stringify(d)}`);
  }
});

test("PNGs decode exactly; alpha is dropped, grey becomes RGB", async () => {
  const width = 5;
  const height = 3;
  const rgba = Buffer.from(Array.from({ length: width * height * 4 }, (_, i) => (i * 37) % 256));
  for (const png of [
    await sharp(rgba, { raw: { width, height, channels: 4 } })
      .png()
      .toBuffer(),
    await sharp(rgba, { raw: { width, height, channels: 4 } })
      .greyscale()
      .png()
      .toBuffer(),
  ]) {
    const [ours, ref] = [await decodeToRgb(png), await reference(png)];
    assert.deepEqual([ours.width, ours.height], [width, height]);
    assert.deepEqual([...ours.data], [...ref.data]);
  }
});

test("anything else is a clear error", async () => {
  await assert.rejects(decodeToRgb(new TextEncoder().encode("GIF89a...")), /neither a JPEG nor a PNG/);
  await assert.rejects(decodeToRgb(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 16)));
});
