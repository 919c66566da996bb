// Matches by Hono's pattern router, remembering the last matches of paths that came twice.
// The pattern router reads `tasks:next` as one literal segment, as the trie router does (the RegExp
// router takes `:next` as a parameter, see context.ts), and matches a path it has not seen in ~1 µs,
// where the trie router took 8–10 µs under load walking its tree and sorting the handlers it found
// (a first answer's PUT path comes once). Most requests repeat a path (an annotator's tasks:next, the
// page's polling), and a remembered match costs a lookup. A path with ids that comes once is only
// noted: remembering every such match filled the memo with results promoted to the old generation,
// 16% of what annotators at work promoted.
import type { Result, Router } from "hono/router";
import { PatternRouter } from "hono/router/pattern-router";

export class MemoRouter<T> implements Router<T> {
  readonly name = "MemoRouter";
  private readonly router = new PatternRouter<T>();
  private readonly matches = new Map<string, Result<T>>();
  /** Paths matched once since the last clearing. */
  private readonly seen = new Set<string>();

  /** `limit`: paths remembered, and paths noted; each set is forgotten when it reaches it. */
  constructor(private readonly limit = 1000) {}

  add(method: string, path: string, handler: T): void {
    this.matches.clear();
    this.seen.clear();
    this.router.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    const remembered = this.matches.get(key);
    if (remembered !== undefined) return remembered;
    const result = this.router.match(method, path);
    if (this.seen.has(key)) {
      if (this.matches.size >= this.limit) this.matches.clear();
      this.matches.set(key, result);
    } else {
      if (this.seen.size >= this.limit) this.seen.clear();
      this.seen.add(key);
    }
    return result;
  }
}
