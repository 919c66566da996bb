import assert from "node:assert/strict";
import { test } from "node:test";
import { ticks } from "./plot.ts";

test("ticks are round numbers covering the range", () => {
  assert.deepEqual(ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(ticks(0, 160), [0, 50, 100, 150]);
  assert.deepEqual(ticks(3, 3), [3]);
});
