// A circuit breaker: after `failureThreshold` consecutive server faults the circuit opens and calls
// fail at once for `resetMs`; then one trial call is let through (half-open): success closes the
// circuit, failure opens it again.
import { CircuitOpenError } from "./errors.ts";

export interface CircuitBreakerOptions {
  /** @default 5 */
  failureThreshold?: number;
  /** @default 10000 */
  resetMs?: number;
  now?: () => number;
}

export type CircuitState = "closed" | "open" | "half-open";

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trial = false;
  private readonly threshold: number;
  private readonly resetMs: number;
  private readonly now: () => number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.threshold = options.failureThreshold ?? 5;
    this.resetMs = options.resetMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.failures < this.threshold) return "closed";
    return this.now() - this.openedAt >= this.resetMs ? "half-open" : "open";
  }

  /** Throws CircuitOpenError when the call must not be made. */
  before(): void {
    const state = this.state;
    if (state === "closed") return;
    if (state === "half-open" && !this.trial) {
      this.trial = true;
      return;
    }
    throw new CircuitOpenError(Math.max(0, this.resetMs - (this.now() - this.openedAt)));
  }

  success(): void {
    this.failures = 0;
    this.trial = false;
  }

  failure(): void {
    this.trial = false;
    this.failures++;
    if (this.failures >= this.threshold) this.openedAt = this.now();
  }
}
