// A PNG of an image with its predicted boxes drawn on it, for TensorBoard's image tab.
import sharp from "sharp";
import type { Detections } from "./decode.ts";
import type { RgbImage } from "./image.ts";

export async function drawDetections(
  image: RgbImage,
  d: Detections,
  labels: string[],
  minScore = 0.3,
  maxSide = 384,
): Promise<{ encoded: Uint8Array; width: number; height: number }> {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const rects: string[] = [];
  for (let i = 0; i < d.count; i++) {
    if (d.scores[i]! < minScore) continue;
    const [y0, x0, y1, x1] = [0, 1, 2, 3].map((k) => d.boxes[i * 4 + k]!);
    const x = x0! * width;
    const y = y0! * height;
    const label = `${labels[Math.round(d.classes[i]!) - 1] ?? "?"} ${d.scores[i]!.toFixed(2)}`;
    rects.push(
      `<rect x="${x}" y="${y}" width="${(x1! - x0!) * width}" height="${(y1! - y0!) * height}" fill="none" stroke="#00ff66" stroke-width="2"/>`,
      `<text x="${x + 2}" y="${y + 12}" font-size="12" fill="#00ff66" font-family="sans-serif">${label.replace(/[<&>]/g, "")}</text>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects.join("")}</svg>`;
  const encoded = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return { encoded: new Uint8Array(encoded), width, height };
}
