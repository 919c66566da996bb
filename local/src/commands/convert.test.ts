import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const bin = join(import.meta.dirname, "..", "..", "bin", "boxloop.mjs");
const raccoon = join(import.meta.dirname, "..", "..", "..", "..", "shared", "datasets", "raccoon");
const boxloop = (...args: string[]) => spawnSync(process.execPath, [bin, "convert", ...args], { encoding: "utf8" });
const work = await mkdtemp(join(tmpdir(), "boxloop-convert-"));
after(() => rm(work, { recursive: true, force: true }));

test("convert --help describes the formats and exits 0", () => {
  const r = boxloop("--help");
  assert.equal(r.status, 0);
  for (const format of ["coco", "voc", "yolo", "csv", "tfrecord"])
    assert.match(r.stdout, new RegExp(`\\b${format}\\b`));
});

test("VOC folder → CSV: the rows of raccoon's own labels CSV, with a JSON summary", async () => {
  const out = join(work, "labels.csv");
  const r = boxloop("--json", join(raccoon, "annotations"), out);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(
    {
      from: summary.from,
      to: summary.to,
      images: summary.images,
      boxes: summary.boxes,
      categories: summary.categories,
    },
    { from: "voc", to: "csv", images: 200, boxes: 217, categories: ["raccoon"] },
  );
  const rows = (text: string) => text.trim().split(/\r?\n/).slice(1).sort();
  assert.deepEqual(
    rows(await readFile(out, "utf8")),
    rows(await readFile(join(raccoon, "data", "raccoon_labels.csv"), "utf8")),
  );
});

test("CSV → COCO → VOC folder; a non-empty output folder needs --force", async () => {
  const coco = join(work, "test.json");
  let r = boxloop(join(raccoon, "data", "test_labels.csv"), coco);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /converted 40 images, 44 boxes/);
  const voc = join(work, "voc");
  r = boxloop("--to", "voc", coco, voc);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await readdir(voc)).filter((f) => f.endsWith(".xml")).length, 40);
  r = boxloop("--to", "voc", coco, voc);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not empty \(--force/);
  assert.equal(boxloop("--force", "--to", "voc", coco, voc).status, 0);
});

test("malformed input: the error names the file, line and field, exit 1", async () => {
  const bad = join(work, "bad.csv");
  await writeFile(
    bad,
    "filename,width,height,class,xmin,ymin,xmax,ymax\na.jpg,10,10,cat,1,1,5,5\na.jpg,10,10,cat,1,x,5,5\n",
  );
  const r = boxloop(bad, join(work, "bad.json"));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.csv:3: ymin: expected a number, got 'x'/);
});

test("TFRecord output without images is an error asking for --images", async () => {
  const csv = join(work, "alone", "labels.csv");
  await mkdir(join(work, "alone"));
  await writeFile(csv, "filename,width,height,class,xmin,ymin,xmax,ymax\na.jpg,10,10,cat,1,1,5,5\n");
  const r = boxloop(csv, join(work, "alone", "out.record"));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--images is needed/);
});

test("usage mistakes exit 2 with a message", () => {
  let r = boxloop("--to", "parquet", "a", "b");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--to must be one of coco, voc, yolo, csv, tfrecord/);
  r = boxloop(join(raccoon, "annotations"));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /expected IN and OUT/);
  r = boxloop(join(raccoon, "annotations"), join(work, "out.txt"));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--to is required/);
});
