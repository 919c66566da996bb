import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSchedule, ScheduleError } from "./cron.ts";

const next = (expr: string, after: string) => parseSchedule(expr).next(new Date(after))?.toISOString();

test("nightly at 03:00 UTC", () => {
  assert.equal(next("cron(0 3 * * ? *)", "2026-11-29T07:00:00Z"), "2026-11-30T03:00:00.000Z");
  assert.equal(next("cron(0 3 * * ? *)", "2026-11-29T02:59:30Z"), "2026-11-29T03:00:00.000Z");
});

test("day-of-week counts from SUN=1, and names work", () => {
  // 2026-11-29 is a Sunday.
  assert.equal(next("cron(30 9 ? * MON-FRI *)", "2026-11-29T00:00:00Z"), "2026-11-30T09:30:00.000Z");
  assert.equal(next("cron(0 12 ? * 1 *)", "2026-11-29T13:00:00Z"), "2026-12-06T12:00:00.000Z");
});

test("steps, lists, the last day of the month and years", () => {
  assert.equal(next("cron(*/15 * * * ? *)", "2026-11-29T07:14:59Z"), "2026-11-29T07:15:00.000Z");
  assert.equal(next("cron(0 0,12 * * ? *)", "2026-11-29T00:00:00Z"), "2026-11-29T12:00:00.000Z");
  assert.equal(next("cron(0 0 L * ? *)", "2026-02-01T00:00:00Z"), "2026-02-28T00:00:00.000Z");
  assert.equal(next("cron(0 0 1 JAN ? 2030)", "2026-11-29T00:00:00Z"), "2030-01-01T00:00:00.000Z");
  assert.equal(next("cron(0 0 1 JAN ? 2020)", "2026-11-29T00:00:00Z"), undefined);
});

test("rate expressions fire on their period", () => {
  assert.equal(next("rate(6 hours)", "2026-11-29T07:10:00Z"), "2026-11-29T12:00:00.000Z");
  assert.equal(next("rate(1 minute)", "2026-11-29T07:10:30Z"), "2026-11-29T07:11:00.000Z");
});

test("bad expressions name what is wrong", () => {
  for (const [expr, message] of [
    ["0 3 * * ? *", /neither cron/],
    ["cron(0 3 * * *)", /6 fields/],
    ["cron(0 3 * * * *)", /exactly one of/],
    ["cron(61 3 * * ? *)", /minutes '61'/],
    ["cron(0 3 ? * 2#1 *)", /not supported/],
    ["rate(0 hours)", /at least 1/],
    ["rate(2 hour)", /use/],
  ] as const) {
    assert.throws(
      () => parseSchedule(expr),
      (e: unknown) => e instanceof ScheduleError && message.test(e.message),
      expr,
    );
  }
});
