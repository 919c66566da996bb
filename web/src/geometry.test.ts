import assert from "node:assert/strict";
import { test } from "node:test";
import { boxFromCorners, clampBox, countFates, iou, suggestionFates } from "./geometry.ts";

const box = (x: number, y: number, width: number, height: number, label = "raccoon") => ({
  label,
  x,
  y,
  width,
  height,
});

test("iou of identical, disjoint and half-overlapping boxes", () => {
  assert.equal(iou(box(0, 0, 10, 10), box(0, 0, 10, 10)), 1);
  assert.equal(iou(box(0, 0, 10, 10), box(20, 20, 5, 5)), 0);
  assert.equal(iou(box(0, 0, 10, 10), box(5, 0, 10, 10)), 50 / 150);
});

test("boxFromCorners accepts corners in any order", () => {
  assert.deepEqual(boxFromCorners("a", 30, 40, 10, 5), box(10, 5, 20, 35, "a"));
});

test("clampBox keeps the box inside the image with a positive size", () => {
  assert.deepEqual(clampBox(box(-5, 90, 20, 30), 100, 100), box(0, 90, 20, 10));
  assert.deepEqual(clampBox(box(50, 50, 0, 0), 100, 100), box(50, 50, 1, 1));
});

test("suggestionFates tells accepted, moved, relabelled, deleted and added apart", () => {
  const suggestions = [box(0, 0, 10, 10), box(50, 50, 10, 10), box(80, 80, 10, 10), box(20, 20, 5, 5)];
  const final = [
    { ...box(0, 0, 10, 10), from: 0 },
    { ...box(55, 50, 10, 10), from: 1 },
    { ...box(80, 80, 10, 10, "dog"), from: 2 },
    { ...box(30, 30, 4, 4), from: null },
  ];
  // suggestion 3 was hidden by the threshold, so it has no fate
  const fates = suggestionFates(suggestions, [0, 1, 2], final);
  assert.deepEqual(fates, [
    { kind: "accepted", suggestion: 0 },
    { kind: "moved", suggestion: 1, iou: 50 / 150 },
    { kind: "relabelled", suggestion: 2, iou: 1, from: "raccoon", to: "dog" },
    { kind: "added", box: 3 },
  ]);
  assert.deepEqual(countFates(fates), { accepted: 1, corrected: 3 });
  assert.deepEqual(suggestionFates(suggestions, [3], []), [{ kind: "deleted", suggestion: 3 }]);
});
