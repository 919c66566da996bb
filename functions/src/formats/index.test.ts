// The public API as the HTTP routes use it: in-memory files, streamed exports.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ReadableStream } from "node:stream/web";
import { test } from "node:test";
import fc from "fast-check";
import type { Dataset, Format } from "./index.ts";
import { collect, exportDataset, exportFiles, importDataset, sourceFromFiles } from "./index.ts";

const jpeg = await readFile(
  join(import.meta.dirname, "..", "..", "..", "..", "shared", "datasets", "raccoon", "images", "raccoon-1.jpg"),
);

const name = fc.stringMatching(/^[\p{L}\p{N}][\p{L}\p{N} ,"'&<>_.-]{0,12}[\p{L}\p{N}]$/u);
const dataset: fc.Arbitrary<Dataset> = fc
  .record({
    categories: fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
    stems: fc.uniqueArray(name, { minLength: 1, maxLength: 6, selector: (s) => s.toLowerCase() }),
  })
  .chain(({ categories, stems }) =>
    fc.record({
      categories: fc.constant(categories),
      images: fc.tuple(
        ...stems.map((stem) =>
          fc
            .record({ width: fc.integer({ min: 1, max: 5000 }), height: fc.integer({ min: 1, max: 5000 }) })
            .chain(({ width, height }) =>
              fc.record({
                fileName: fc.constant(`${stem}.jpg`),
                width: fc.constant(width),
                height: fc.constant(height),
                boxes: fc.array(
                  fc
                    .record({
                      label: fc.constantFrom(...categories),
                      x: fc.tuple(
                        fc.double({ min: 0, max: 1, noNaN: true }),
                        fc.double({ min: 0, max: 1, noNaN: true }),
                      ),
                      y: fc.tuple(
                        fc.double({ min: 0, max: 1, noNaN: true }),
                        fc.double({ min: 0, max: 1, noNaN: true }),
                      ),
                    })
                    .map(({ label, x, y }) => ({
                      label,
                      xmin: Math.min(...x) * width,
                      xmax: Math.max(...x) * width,
                      ymin: Math.min(...y) * height,
                      ymax: Math.max(...y) * height,
                    })),
                  { maxLength: 4 },
                ),
              }),
            ),
        ),
      ),
    }),
  );

/** Export to files in memory, then import them back, as the API's import route does. */
async function roundTrip(d: Dataset, format: Format): Promise<Dataset> {
  const files: Record<string, Uint8Array> = {};
  for await (const file of exportFiles(d, format, { loadImage: async () => jpeg }))
    files[file.path] = await collect(file.chunks);
  return importDataset(format, sourceFromFiles(files));
}

function close(a: Dataset, b: Dataset): boolean {
  // VOC and YOLO list images in file-name order
  if (a.images.length !== b.images.length) return false;
  const byName = new Map(b.images.map((y) => [y.fileName, y]));
  return a.images.every((x) => {
    const y = byName.get(x.fileName);
    return (
      y !== undefined &&
      x.width === y.width &&
      x.height === y.height &&
      x.boxes.length === y.boxes.length &&
      x.boxes.every((p, j) => {
        const q = y.boxes[j]!;
        return (
          p.label === q.label &&
          Math.abs(p.xmin - q.xmin) / x.width <= 1e-6 &&
          Math.abs(p.xmax - q.xmax) / x.width <= 1e-6 &&
          Math.abs(p.ymin - q.ymin) / x.height <= 1e-6 &&
          Math.abs(p.ymax - q.ymax) / x.height <= 1e-6
        );
      })
    );
  });
}

for (const format of ["coco", "csv", "voc", "tfrecord"] as const)
  test(`${format}: random datasets survive export and import (names with quotes, commas, markup)`, async () => {
    await fc.assert(
      fc.asyncProperty(dataset, async (d) => {
        const back = await roundTrip(d, format);
        // categories without boxes are kept by COCO only; the others list the labels in use
        if (format === "coco") assert.deepEqual(back.categories, d.categories);
        else assert.deepEqual(new Set(back.categories), new Set(d.images.flatMap((i) => i.boxes.map((b) => b.label))));
        assert.ok(close(back, d), JSON.stringify({ d, back }));
      }),
      { numRuns: 40 },
    );
  });

test("exports stream: the first TFRecord chunk comes before the second image is read", async () => {
  const big: Dataset = {
    categories: ["a"],
    images: Array.from({ length: 50 }, (_, i) => ({ fileName: `${i}.jpg`, width: 650, height: 417, boxes: [] })),
  };
  let loaded = 0;
  const stream = exportDataset(big, "tfrecord", {
    loadImage: async () => {
      loaded++;
      return jpeg;
    },
  });
  const first = await stream[Symbol.asyncIterator]().next();
  assert.equal(first.done, false);
  assert.equal(loaded, 1);
  // and a Response body can be built straight from it
  const response = new Response(ReadableStream.from(exportDataset(big, "csv")) as unknown as BodyInit);
  assert.equal((await response.text()).split("\n").length, 52);
});

test("a truncated TFRecord is an error naming the file and the record", async () => {
  const files: Record<string, Uint8Array> = {};
  const d: Dataset = { categories: ["a"], images: [{ fileName: "x.jpg", width: 10, height: 10, boxes: [] }] };
  for await (const file of exportFiles({ ...d, images: [d.images[0]!, d.images[0]!] }, "tfrecord", {
    loadImage: async () => jpeg,
  }))
    files[file.path] = await collect(file.chunks);
  const bytes = files["data.record"]!;
  await assert.rejects(
    importDataset("tfrecord", sourceFromFiles({ "d.record": bytes.subarray(0, bytes.length - 10) })),
    /d\.record: record\[1\]: .*truncated record/,
  );
});
