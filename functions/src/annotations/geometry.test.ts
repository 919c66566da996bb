import assert from "node:assert/strict";
import { test } from "node:test";
import { clip, fates, iou } from "./geometry.ts";

const box = (label: string, x: number, y: number, width: number, height: number) => ({ label, x, y, width, height });

test("clip keeps the part inside the image and drops boxes wholly outside", () => {
  assert.deepEqual(clip(box("a", -10, 5, 30, 200), 100, 50), box("a", 0, 5, 20, 45));
  assert.equal(clip(box("a", 120, 5, 30, 20), 100, 50), undefined);
  assert.equal(clip(box("a", 100, 0, 5, 5), 100, 50), undefined);
});

test("iou", () => {
  assert.equal(iou(box("a", 0, 0, 10, 10), box("a", 0, 0, 10, 10)), 1);
  assert.equal(iou(box("a", 0, 0, 10, 10), box("a", 10, 0, 10, 10)), 0);
  assert.ok(Math.abs(iou(box("a", 0, 0, 10, 10), box("a", 5, 0, 10, 10)) - 1 / 3) < 1e-12);
});

test("fates: accepted, moved with IoU, relabelled, deleted, added", () => {
  const predicted = [
    box("cat", 0, 0, 10, 10),
    box("cat", 50, 50, 10, 10),
    box("dog", 100, 100, 10, 10),
    box("cat", 200, 0, 5, 5),
  ];
  const answered = [
    box("cat", 0, 0, 10, 10),
    box("cat", 55, 50, 10, 10),
    box("cat", 100, 100, 10, 10),
    box("dog", 300, 300, 9, 9),
  ];
  assert.deepEqual(fates(predicted, answered), [
    { fate: "accepted", predicted: 0, box: 0, iou: 1 },
    { fate: "moved", predicted: 1, box: 1, iou: 0.333333 },
    { fate: "relabelled", predicted: 2, box: 2, iou: 1, from: "dog", to: "cat" },
    { fate: "deleted", predicted: 3 },
    { fate: "added", box: 3 },
  ]);
});
