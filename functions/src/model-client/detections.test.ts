import assert from "node:assert/strict";
import { test } from "node:test";
import { labelMapFromBoxloopJson, labelMapFromList, toPixelBoxes } from "./detections.ts";

test("maps normalized boxes to pixels, applies the threshold, drops unknown classes and degenerate boxes", () => {
  const boxes = toPixelBoxes(
    {
      detection_boxes: [0.1, 0.2, 0.5, 0.6, 0, 0, 1, 1, 0.2, 0.2, 0.4, 0.4, 0.3, 0.3, 0.3, 0.5, -0.1, 0.5, 0.5, 1.2],
      detection_scores: [0.6, 0.9, 0.95, 0.99, 0.7],
      detection_classes: [1, 2, 7, 1, 2],
      num_detections: [5],
    },
    { width: 200, height: 100, labels: labelMapFromList(["raccoon", "dog"]), threshold: 0.65 },
  );
  assert.deepEqual(boxes, [
    { label: "dog", score: 0.9, x: 0, y: 0, width: 200, height: 100 },
    { label: "dog", score: 0.7, x: 100, y: 0, width: 100, height: 50 },
  ]);
});

test("num_detections limits the boxes read", () => {
  const boxes = toPixelBoxes(
    {
      detection_boxes: [0, 0, 1, 1, 0, 0, 1, 1],
      detection_scores: [0.9, 0.9],
      detection_classes: [1, 1],
      num_detections: [1],
    },
    { width: 10, height: 10, labels: labelMapFromList(["a"]), threshold: 0 },
  );
  assert.equal(boxes.length, 1);
});

test("the label map of a boxloop.json", () => {
  assert.deepEqual(
    [...labelMapFromBoxloopJson({ labels: ["raccoon", "dog"], metrics: {} })!],
    [
      [1, "raccoon"],
      [2, "dog"],
    ],
  );
  assert.equal(labelMapFromBoxloopJson({ metrics: {} }), undefined);
  assert.equal(labelMapFromBoxloopJson(null), undefined);
});
