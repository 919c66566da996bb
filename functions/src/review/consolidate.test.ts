import assert from "node:assert/strict";
import { test } from "node:test";
import type { Annotation } from "../annotations/schema.ts";
import { consolidate } from "./consolidate.ts";

const answer = (annotator: string, boxes: Annotation["boxes"]): Annotation => ({
  campaignId: "c",
  imageId: "i",
  annotator,
  answer: "accept",
  boxes,
  modelVersion: null,
  durationMs: 1,
  fates: null,
  submittedAt: "",
  by: annotator,
});

test("consolidate merges overlapping boxes, keeps majority clusters, reports agreement", () => {
  const out = consolidate([
    answer("a", [
      { label: "cat", x: 0, y: 0, width: 10, height: 10 },
      { label: "dog", x: 50, y: 50, width: 10, height: 10 },
    ]),
    answer("b", [{ label: "cat", x: 1, y: 0, width: 10, height: 10 }]),
    answer("c", [{ label: "cat", x: 0, y: 1, width: 10, height: 10 }]),
  ]);
  assert.equal(out.clusters.length, 2);
  assert.deepEqual(out.clusters[0]!.annotators, ["a", "b", "c"]);
  assert.equal(out.clusters[1]!.kept, false);
  assert.equal(out.agreement, 0.5);
  assert.equal(out.boxes.length, 1);
  assert.ok(Math.abs(out.boxes[0]!.x - 1 / 3) < 1e-12);
});
