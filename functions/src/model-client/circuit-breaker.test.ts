import assert from "node:assert/strict";
import { test } from "node:test";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { CircuitOpenError } from "./errors.ts";

test("opens after the threshold, lets one trial through after the reset time, closes on success", () => {
  let t = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 3, resetMs: 1000, now: () => t });
  for (let i = 0; i < 3; i++) {
    breaker.before();
    breaker.failure();
  }
  assert.equal(breaker.state, "open");
  assert.throws(() => breaker.before(), CircuitOpenError);
  t = 1000;
  assert.equal(breaker.state, "half-open");
  breaker.before();
  assert.throws(() => breaker.before(), CircuitOpenError, "only one trial at a time");
  breaker.failure();
  assert.equal(breaker.state, "open");
  t = 2000;
  breaker.before();
  breaker.success();
  assert.equal(breaker.state, "closed");
  breaker.before();
});
