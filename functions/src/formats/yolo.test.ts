import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { imagesFromDir, sourceFromFiles } from "./source.ts";
import { importYolo } from "./yolo.ts";

const raccoonImages = join(import.meta.dirname, "..", "..", "..", "..", "shared", "datasets", "raccoon", "images");
const files = (f: Record<string, string>) =>
  sourceFromFiles(Object.fromEntries(Object.entries(f).map(([k, v]) => [k, new TextEncoder().encode(v)])));

test("YOLO: names from data.yaml (a map), sizes from the images, images found by stem", async () => {
  const images = await imagesFromDir(raccoonImages);
  const d = await importYolo(
    files({
      "data.yaml": "names:\n  0: cat\n  1: raccoon\n",
      "labels/raccoon-1.txt": "1 0.5 0.5 0.5 0.5\n\n0 0.25 0.25 0.1 0.1\n",
      "labels/raccoon-10.txt": "",
    }),
    images,
  );
  assert.deepEqual(d.categories, ["cat", "raccoon"]);
  // raccoon-1.jpg is 650 × 417
  assert.deepEqual(d.images[0], {
    fileName: "raccoon-1.jpg",
    width: 650,
    height: 417,
    boxes: [
      { label: "raccoon", xmin: 162.5, ymin: 104.25, xmax: 487.5, ymax: 312.75 },
      {
        label: "cat",
        xmin: (0.25 - 0.05) * 650,
        ymin: (0.25 - 0.05) * 417,
        xmax: (0.25 + 0.05) * 650,
        ymax: (0.25 + 0.05) * 417,
      },
    ],
  });
  assert.deepEqual(d.images[1]!.boxes, []);
});

test("YOLO: errors name the file, line and field", async () => {
  const images = await imagesFromDir(raccoonImages);
  await assert.rejects(importYolo(files({ "a.txt": "" }), images), /no class names/);
  await assert.rejects(importYolo(files({ "classes.txt": "a\n" }), undefined), /the images folder is needed/);
  await assert.rejects(
    importYolo(files({ "classes.txt": "a\n", "raccoon-1.txt": "0 0.5 0.5 0.1 0.1\n2 0.5 0.5 0.1 0.1\n" }), images),
    /raccoon-1\.txt:2: class: class 2 is not among the 1 classes/,
  );
  await assert.rejects(
    importYolo(files({ "classes.txt": "a\n", "raccoon-1.txt": "0 0.5 0.5 0.1\n" }), images),
    /raccoon-1\.txt:1: expected 'class cx cy w h', got 4 fields/,
  );
  await assert.rejects(
    importYolo(files({ "classes.txt": "a\n", "raccoon-1.txt": "0 0.5 nan 0.1 0.1\n" }), images),
    /raccoon-1\.txt:1: cy: expected a number, got 'nan'/,
  );
  await assert.rejects(
    importYolo(files({ "classes.txt": "a\n", "nobody.txt": "0 0.5 0.5 0.1 0.1\n" }), images),
    /nobody\.txt: no image named nobody\.\* in the images folder/,
  );
  await assert.rejects(
    importYolo(files({ "data.yaml": "names: [a, 3]\n", "raccoon-1.txt": "" }), images),
    /data\.yaml: names\[1\]: expected a class name, got 3/,
  );
});
