import assert from "node:assert/strict";
import { test } from "node:test";
import { iouThresholds, recallThresholds } from "./coco-eval.ts";
import { evalInputFrom, evaluate } from "./evaluate.ts";
import type { EvalInput } from "./types.ts";

const box = (label: string, x: number, y: number, w: number, h: number) => ({
  label,
  xmin: x,
  ymin: y,
  xmax: x + w,
  ymax: y + h,
});

test("thresholds are numpy.linspace's (0.75 exactly, for AP75)", () => {
  assert.equal(iouThresholds.length, 10);
  assert.equal(iouThresholds[5], 0.75);
  assert.equal(iouThresholds[9], 0.95);
  assert.equal(recallThresholds.length, 101);
  assert.equal(recallThresholds[100], 1);
});

test("perfect detections score 1; medium boxes leave small and large undefined (-1)", () => {
  const gt = [box("a", 0, 0, 50, 50), box("a", 100, 100, 40, 40)];
  const r = evaluate({
    categories: ["a"],
    images: [{ groundTruth: gt, detections: gt.map((g) => ({ ...g, score: 0.9 })) }],
  });
  assert.deepEqual(
    {
      AP: r.coco.AP,
      AP50: r.coco.AP50,
      APm: r.coco.APm,
      APs: r.coco.APs,
      APl: r.coco.APl,
      AR1: r.coco.AR1,
      AR100: r.coco.AR100,
    },
    { AP: 1, AP50: 1, APm: 1, APs: -1, APl: -1, AR1: 0.5, AR100: 1 },
  );
  assert.equal(r.vocAP50, 1);
  assert.ok(r.prCurve.precision.every((p) => p === 1));
});

test("no detections score 0; a class without ground truth is -1 and left out of the mean", () => {
  const input: EvalInput = {
    categories: ["a", "b"],
    images: [{ groundTruth: [box("a", 0, 0, 50, 50)], detections: [{ ...box("b", 0, 0, 50, 50), score: 1 }] }],
  };
  const r = evaluate(input);
  assert.equal(r.coco.AP, 0);
  assert.equal(r.cocoPerClass.b!.AP, -1);
  assert.equal(r.vocAP50PerClass.b, -1);
  assert.equal(r.vocAP50, 0);
});

test("a box shifted to IoU 0.6 counts at thresholds 0.5, 0.55 and 0.6 (IoU ≥ threshold)", () => {
  // 100×100 vs shifted by 25 in x: IoU = 75*100 / (20000 - 7500) = 0.6
  const r = evaluate({
    categories: ["a"],
    images: [{ groundTruth: [box("a", 0, 0, 100, 100)], detections: [{ ...box("a", 25, 0, 100, 100), score: 0.5 }] }],
  });
  // precision is tp / (tp + fp + eps), as in pycocotools
  assert.ok(Math.abs(r.coco.AP50 - 1) < 1e-12, `${r.coco.AP50}`);
  assert.equal(r.coco.AP75, 0);
  assert.ok(Math.abs(r.coco.AP - 0.3) < 1e-12, `${r.coco.AP}`);
});

test("unknown labels are an error naming the image", () => {
  assert.throws(
    () =>
      evaluate({ categories: ["a"], images: [{ id: "x.jpg", groundTruth: [box("z", 0, 0, 1, 1)], detections: [] }] }),
    /x\.jpg: a ground truth label 'z'/,
  );
});

test("evalInputFrom pairs detections with labelled images by file name", () => {
  const labelled = {
    categories: ["a"],
    images: [
      { fileName: "x.jpg", boxes: [box("a", 0, 0, 10, 10)] },
      { fileName: "y.jpg", boxes: [] },
    ],
  };
  const input = evalInputFrom(labelled, new Map([["x.jpg", [{ ...box("a", 0, 0, 10, 10), score: 1 }]]]));
  assert.deepEqual(
    input.images.map((i) => [i.id, i.detections.length]),
    [
      ["x.jpg", 1],
      ["y.jpg", 0],
    ],
  );
  assert.throws(
    () => evalInputFrom(labelled, new Map([["z.jpg", []]])),
    /z\.jpg, which is not among the labelled images/,
  );
});
