import assert from "node:assert/strict";
import { test } from "node:test";
import { exportCoco, importCoco } from "./coco.ts";
import { sourceFromFiles } from "./source.ts";
import { collect } from "./text.ts";

const load = (value: unknown) =>
  importCoco(
    sourceFromFiles({ "c.json": new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value)) }),
  );
const valid = {
  images: [{ id: 7, file_name: "a.jpg", width: 100, height: 80 }],
  annotations: [{ image_id: 7, category_id: 3, bbox: [10, 20, 30, 40] }],
  categories: [
    { id: 3, name: "dog" },
    { id: 1, name: "cat" },
  ],
};

test("categories follow their ids; boxes become corners; the export reads back the same", async () => {
  const d = await load(valid);
  assert.deepEqual(d, {
    categories: ["cat", "dog"],
    images: [
      { fileName: "a.jpg", width: 100, height: 80, boxes: [{ label: "dog", xmin: 10, ymin: 20, xmax: 40, ymax: 60 }] },
    ],
  });
  const exported = JSON.parse(new TextDecoder().decode(await collect(exportCoco(d))));
  assert.deepEqual(
    exported.categories.map((c: { id: number; name: string }) => [c.id, c.name]),
    [
      [1, "cat"],
      [2, "dog"],
    ],
  );
  assert.deepEqual(exported.annotations[0].bbox, [10, 20, 30, 40]);
  assert.deepEqual(await load(exported), d);
});

test("malformed COCO is an error naming the field", async () => {
  await assert.rejects(load("{"), /c\.json: invalid JSON/);
  await assert.rejects(
    load({ ...valid, images: [{ id: 7, width: 1, height: 1 }] }),
    /c\.json: images\[0\]\.file_name: /,
  );
  await assert.rejects(
    load({ ...valid, annotations: [{ image_id: 7, category_id: 3, bbox: [1, 2, 3] }] }),
    /c\.json: annotations\[0\]\.bbox/,
  );
  await assert.rejects(
    load({ ...valid, annotations: [{ image_id: 8, category_id: 3, bbox: [1, 2, 3, 4] }] }),
    /c\.json: annotations\[0\]\.image_id: no image has id 8/,
  );
  await assert.rejects(
    load({ ...valid, annotations: [{ image_id: 7, category_id: 9, bbox: [1, 2, 3, 4] }] }),
    /annotations\[0\]\.category_id: no category has id 9/,
  );
  await assert.rejects(
    load({ ...valid, annotations: [{ image_id: 7, category_id: 3, bbox: [1, 2, -3, 4] }] }),
    /annotations\[0\]\.bbox\[2\]/,
  );
  await assert.rejects(
    load({ ...valid, images: [valid.images[0], valid.images[0]] }),
    /images\[1\]\.id: duplicate image id 7/,
  );
});
