import assert from "node:assert/strict";
import { test } from "node:test";
import { allPointAP, vocAP50PerClass } from "./voc-eval.ts";

const box = (label: string, xmin: number, ymin: number, xmax: number, ymax: number) => ({
  label,
  xmin,
  ymin,
  xmax,
  ymax,
});

test("all-point interpolation takes the precision envelope at each recall step", () => {
  // recall 0.5 at precision 1, then a false positive, then recall 1 at precision 2/3
  assert.equal(allPointAP([0.5, 0.5, 1], [1, 0.5, 2 / 3]), 0.5 * 1 + 0.5 * (2 / 3));
  assert.equal(allPointAP([], []), 0);
});

test("VOC AP50: a taken ground truth makes the next detection a false positive; crowd boxes are dropped", () => {
  const ap = vocAP50PerClass({
    categories: ["a", "b"],
    images: [
      {
        groundTruth: [box("a", 0, 0, 10, 10), box("a", 20, 20, 30, 30), { ...box("a", 50, 50, 90, 90), iscrowd: true }],
        detections: [
          { ...box("a", 0, 0, 10, 10), score: 0.9 }, // TP
          { ...box("a", 0, 0, 10, 9), score: 0.8 }, // duplicate: FP
          { ...box("a", 50, 50, 90, 90), score: 0.7 }, // on the crowd box: dropped
          { ...box("a", 20, 20, 30, 30), score: 0.6 }, // TP
        ],
      },
    ],
  });
  // ranks: TP (r .5, p 1), FP (r .5, p .5), TP (r 1, p 2/3)
  assert.equal(ap[0], 0.5 + 0.5 * (2 / 3));
  assert.equal(ap[1], -1, "no ground truth for b");
});

test("VOC AP50 needs IoU ≥ 0.5", () => {
  const gt = [box("a", 0, 0, 10, 10)];
  const at = (xmax: number) =>
    vocAP50PerClass({
      categories: ["a"],
      images: [{ groundTruth: gt, detections: [{ ...box("a", 0, 0, xmax, 10), score: 1 }] }],
    })[0];
  assert.equal(at(5), 1); // IoU exactly 0.5
  assert.equal(at(4.9), 0);
});
