// pycocotools loads our COCO export of raccoon and sees the same images, categories and boxes.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { exportToPath, importFromPath } from "@boxloop/functions/formats/index";
import { referee } from "../support/referee.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");
const work = await mkdtemp(join(tmpdir(), "boxloop-coco-"));
after(() => rm(work, { recursive: true, force: true }));

const script = `
import contextlib, io, json, sys
from pycocotools.coco import COCO
with contextlib.redirect_stdout(io.StringIO()):
    coco = COCO(sys.argv[1])
images = []
for image in coco.loadImgs(sorted(coco.getImgIds())):
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
    images.append({
        "file_name": image["file_name"], "width": image["width"], "height": image["height"],
        "boxes": [[coco.loadCats(a["category_id"])[0]["name"]] + a["bbox"] + [a["area"]] for a in anns],
    })
print(json.dumps({"categories": [c["name"] for c in coco.loadCats(coco.getCatIds())], "images": images}))
`;

test("pycocotools loads our COCO export with the same boxes", async () => {
  const { dataset } = await importFromPath(join(raccoon, "annotations"));
  const out = join(work, "raccoon.json");
  await exportToPath(dataset, "coco", out);
  const loaded = JSON.parse(referee().run(script, [out])) as {
    categories: string[];
    images: {
      file_name: string;
      width: number;
      height: number;
      boxes: [string, number, number, number, number, number][];
    }[];
  };
  assert.deepEqual(loaded.categories, dataset.categories);
  assert.equal(loaded.images.length, dataset.images.length);
  loaded.images.forEach((image, i) => {
    const want = dataset.images[i]!;
    assert.equal(image.file_name, want.fileName);
    assert.equal(image.width, want.width);
    assert.equal(image.height, want.height);
    assert.deepEqual(
      image.boxes,
      want.boxes.map((b) => [
        b.label,
        b.xmin,
        b.ymin,
        b.xmax - b.xmin,
        b.ymax - b.ymin,
        (b.xmax - b.xmin) * (b.ymax - b.ymin),
      ]),
    );
  });
});
