import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isoTime } from "./iso-time.ts";

test("equals toISOString for any time, in any order of calls", () => {
  const max = Date.UTC(275000, 0, 1);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -max, max }), { minLength: 1, maxLength: 50 }), (times) => {
      for (const ms of times) assert.equal(isoTime(ms), new Date(ms).toISOString());
    }),
    { numRuns: 500 },
  );
});

test("equals toISOString around second boundaries and for fractional milliseconds", () => {
  const base = Date.UTC(2026, 11, 31, 23, 59, 59);
  for (let ms = base - 1100; ms < base + 1100; ms += 7) assert.equal(isoTime(ms), new Date(ms).toISOString());
  for (const ms of [0, 1, 999, 1000, base + 0.5, base + 999.999]) assert.equal(isoTime(ms), new Date(ms).toISOString());
});
