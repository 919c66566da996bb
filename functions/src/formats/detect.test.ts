import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { detectFormat, formatOfFile } from "./detect.ts";

const work = await mkdtemp(join(tmpdir(), "boxloop-detect-"));
after(() => rm(work, { recursive: true, force: true }));

async function folder(name: string, files: string[]) {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    await mkdir(join(dir, f, ".."), { recursive: true });
    await writeFile(join(dir, f), "");
  }
  return dir;
}

test("files by their names", () => {
  assert.equal(formatOfFile("a/instances.json"), "coco");
  assert.equal(formatOfFile("labels.CSV"), "csv");
  assert.equal(formatOfFile("x.xml"), "voc");
  for (const name of ["train.record", "t.tfrecord", "t.tfrecords", "train.record-00001-of-00010"])
    assert.equal(formatOfFile(name), "tfrecord", name);
  assert.equal(formatOfFile("classes.txt"), "yolo");
  assert.equal(formatOfFile("readme.md"), undefined);
});

test("folders by the one kind of file they hold", async () => {
  assert.equal(await detectFormat(await folder("voc", ["a.xml", "b.xml", "img/a.jpg"])), "voc");
  assert.equal(await detectFormat(await folder("yolo", ["classes.txt", "a.txt", "a.jpg"])), "yolo");
  assert.equal(await detectFormat(await folder("coco", ["annotations/instances.json"])), "coco");
  await assert.rejects(detectFormat(await folder("mixed", ["a.xml", "b.csv"])), /several formats \(voc, csv\)/);
  await assert.rejects(detectFormat(await folder("txt", ["a.txt"])), /no classes\.txt/);
  await assert.rejects(detectFormat(await folder("none", ["a.jpg"])), /no annotation files/);
  await assert.rejects(detectFormat(join(work, "missing")), /missing: no such file or folder/);
  await writeFile(join(work, "notes.md"), "");
  await assert.rejects(detectFormat(join(work, "notes.md")), /cannot tell the format/);
});
