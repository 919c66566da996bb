// Hono's trie router (it reads `tasks:next` as one segment, see context.ts) walks the route tree
// and sorts the handlers it found on every request: ~4 µs, 3% of a tasks:next. Most requests
// repeat a path (an annotator's tasks:next, the page's polling), so this remembers the last matches
// of paths that came twice. A path with ids that comes once (a first answer's PUT) is only noted:
// remembering every such match filled the memo with results promoted to the old generation, 16% of
// what annotators at work promoted.
import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";

export class MemoRouter<T> implements Router<T> {
  readonly name = "MemoRouter";
  private readonly trie = new TrieRouter<T>();
  private readonly matches = new Map<string, Result<T>>();
  /** Paths matched once since the last clearing. */
  private readonly seen = new Set<string>();

  /** `limit`: paths remembered, and paths noted; each set is forgotten when it reaches it. */
  constructor(private readonly limit = 1000) {}

  add(method: string, path: string, handler: T): void {
    this.matches.clear();
    this.seen.clear();
    this.trie.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    const remembered = this.matches.get(key);
    if (remembered !== undefined) return remembered;
    const result = this.trie.match(method, path);
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
