// Presigned URLs (or their signed queries), reused while at least half their lifetime is left, so
// that whoever gets one still has that long to use it. At most `limit` are kept.
export class HalfLifeCache {
  private readonly entries = new Map<string, { value: string; renewAt: number }>();

  constructor(private readonly limit: number) {}

  /** The value kept under `key`, unless half its lifetime has passed by `nowMs`. */
  get(key: string, nowMs: number): string | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && nowMs < entry.renewAt ? entry.value : undefined;
  }

  /** Keeps `value`, made at `nowMs` to live `lifetimeSeconds`, and returns it. */
  set(key: string, value: string, lifetimeSeconds: number, nowMs: number): string {
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(key, { value, renewAt: nowMs + lifetimeSeconds * 500 });
    return value;
  }
}
