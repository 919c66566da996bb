import assert from "node:assert/strict";
import { test } from "node:test";
import { startScheduler } from "./scheduler.ts";

test("fires each due campaign once per firing, and picks up changed schedules", async () => {
  let clock = new Date("2026-11-29T02:58:00Z");
  const campaigns = [
    { id: "nightly", schedule: "cron(0 3 * * ? *)" },
    { id: "none", schedule: null },
    { id: "broken", schedule: "cron(nope)" },
  ];
  const fired: string[] = [];
  const errors: string[] = [];
  const scheduler = startScheduler({
    campaigns: async () => campaigns,
    fire: async (id) => void fired.push(id),
    onError: (id) => void errors.push(id),
    now: () => clock,
    tickMs: 3_600_000,
  });
  try {
    assert.deepEqual(await scheduler.tick(), []);
    clock = new Date("2026-11-29T03:00:30Z");
    assert.deepEqual(await scheduler.tick(), ["nightly"]);
    clock = new Date("2026-11-29T03:05:00Z");
    assert.deepEqual(await scheduler.tick(), [], "the same firing is not repeated");
    campaigns[1]!.schedule = "rate(5 minutes)";
    clock = new Date("2026-11-29T03:10:00Z");
    assert.deepEqual(await scheduler.tick(), ["none"]);
    assert.deepEqual(fired, ["nightly", "none"]);
    assert.deepEqual(errors, ["broken"], "a bad expression is reported once, not fired");
  } finally {
    scheduler.stop();
  }
});
