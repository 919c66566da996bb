// Export throughput of the annotation formats on a large synthetic dataset (100k images, 3 boxes
// each), streamed and drained chunk by chunk as an HTTP response would be; the baseline is one
// JSON.stringify of the same COCO document, measured in the same run.

import type { Dataset } from "@boxloop/functions/formats/dataset";
import { exportDataset, type Format } from "@boxloop/functions/formats/index";
import { random } from "../test/support/synthetic-detections.ts";

const count = Number(process.argv[2] ?? 100_000);
const rand = random(1);
const dataset: Dataset = {
  categories: ["raccoon", "cat", "dog"],
  images: Array.from({ length: count }, (_, i) => ({
    fileName: `images/${i}.jpg`,
    width: 640,
    height: 480,
    boxes: Array.from({ length: 3 }, (_, k) => {
      const x = rand() * 500;
      const y = rand() * 400;
      return {
        label: ["raccoon", "cat", "dog"][k]!,
        xmin: x,
        ymin: y,
        xmax: x + 1 + rand() * 139,
        ymax: y + 1 + rand() * 79,
      };
    }),
  })),
};

const jpeg = new Uint8Array(20_000);
const loadImage = async () => jpeg;

console.log(`formats: export of ${count} images × 3 boxes, streamed`);
let cocoMs = 0;
for (const format of ["coco", "csv", "voc", "yolo", "tfrecord"] as Format[]) {
  const t0 = performance.now();
  let bytes = 0;
  let chunks = 0;
  let largest = 0;
  for await (const chunk of exportDataset(dataset, format, { loadImage })) {
    bytes += chunk.length;
    chunks++;
    largest = Math.max(largest, chunk.length);
  }
  const ms = performance.now() - t0;
  if (format === "coco") cocoMs = ms;
  console.log(
    `  ${format.padEnd(8)} ${(ms / 1000).toFixed(2)} s  ${((count / ms) * 1000).toFixed(0)} images/s  ${(bytes / 1e6).toFixed(1)} MB in ${chunks} chunks (largest ${(largest / 1024).toFixed(0)} KB)${format === "tfrecord" ? " (20 KB stand-in images)" : ""}`,
  );
}
const t0 = performance.now();
const doc = JSON.stringify({
  images: dataset.images.map((im, i) => ({ id: i + 1, file_name: im.fileName, width: im.width, height: im.height })),
  annotations: dataset.images.flatMap((im, i) =>
    im.boxes.map((b) => ({ image_id: i + 1, bbox: [b.xmin, b.ymin, b.xmax - b.xmin, b.ymax - b.ymin] })),
  ),
});
const baselineMs = performance.now() - t0;
console.log(
  `  baseline: one JSON.stringify of the COCO document ${(baselineMs / 1000).toFixed(2)} s (${(doc.length / 1e6).toFixed(1)} MB held at once)`,
);
console.log(`  ratio streamed COCO / JSON.stringify: ${(cocoMs / baselineMs).toFixed(2)}`);
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
