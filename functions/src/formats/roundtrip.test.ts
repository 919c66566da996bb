// The acceptance round trip: raccoon from VOC, out to COCO, YOLO, CSV and TFRecord, and back in,
// with the same boxes within 1e-6 of the image size.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Dataset } from "./dataset.ts";
import { exportToPath, type Format, imagesFromDir, importFromPath } from "./index.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "..", "shared", "datasets", "raccoon");
const work = await mkdtemp(join(tmpdir(), "boxloop-formats-"));
after(() => rm(work, { recursive: true, force: true }));

function assertSameBoxes(actual: Dataset, expected: Dataset, what: string) {
  assert.deepEqual(actual.categories, expected.categories, `${what}: categories`);
  const byName = new Map(actual.images.map((i) => [i.fileName, i]));
  assert.equal(actual.images.length, expected.images.length, `${what}: image count`);
  for (const want of expected.images) {
    const got = byName.get(want.fileName);
    assert.ok(got, `${what}: ${want.fileName} is missing`);
    assert.equal(got.width, want.width, `${what}: ${want.fileName} width`);
    assert.equal(got.height, want.height, `${what}: ${want.fileName} height`);
    assert.equal(got.boxes.length, want.boxes.length, `${what}: ${want.fileName} box count`);
    want.boxes.forEach((b, i) => {
      const g = got.boxes[i]!;
      assert.equal(g.label, b.label);
      for (const [key, size] of [
        ["xmin", want.width],
        ["xmax", want.width],
        ["ymin", want.height],
        ["ymax", want.height],
      ] as const) {
        const diff = Math.abs(g[key] / size - b[key] / size);
        assert.ok(
          diff <= 1e-6,
          `${what}: ${want.fileName} box ${i} ${key}: ${g[key]} vs ${b[key]} (${diff} normalized)`,
        );
      }
    });
  }
}

test("raccoon: VOC → COCO, YOLO, CSV, TFRecord → back, same boxes within 1e-6 normalized", async () => {
  const { dataset, format } = await importFromPath(join(raccoon, "annotations"));
  assert.equal(format, "voc");
  assert.equal(dataset.images.length, 200);
  assert.equal(
    dataset.images.reduce((n, i) => n + i.boxes.length, 0),
    217,
  );
  const images = await imagesFromDir(join(raccoon, "images"));
  const outputs: Record<Exclude<Format, "voc">, string> = {
    coco: join(work, "raccoon.json"),
    yolo: join(work, "yolo"),
    csv: join(work, "raccoon.csv"),
    tfrecord: join(work, "raccoon.record"),
  };
  for (const [format, out] of Object.entries(outputs) as [Format, string][]) {
    await exportToPath(dataset, format, out, { loadImage: images.read });
    // the format is detected from the path; YOLO finds its images through --images
    const back = await importFromPath(out, { imagesDir: join(raccoon, "images") });
    assert.equal(back.format, format);
    assertSameBoxes(back.dataset, dataset, format);
  }
  // and back to VOC from the last one
  const voc = join(work, "voc");
  await exportToPath((await importFromPath(outputs.tfrecord)).dataset, "voc", voc);
  assertSameBoxes((await importFromPath(voc)).dataset, dataset, "tfrecord → voc");
});

test("raccoon's own test.record (written by the TF OD API's tools) matches its test_labels.csv", async () => {
  const record = await importFromPath(join(raccoon, "data", "test.record"));
  const csv = await importFromPath(join(raccoon, "data", "test_labels.csv"));
  assert.equal(record.dataset.images.length, 40);
  assertSameBoxes(record.dataset, csv.dataset, "test.record");
});
