// Hono's trie router (it reads `tasks:next` as one segment, see context.ts) walks the route tree
// and sorts the handlers it found on every request: ~4 µs, 3% of a tasks:next. Most requests
// repeat a path (an annotator's tasks:next, the page's polling), so this remembers the last matches.
import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";

export class MemoRouter<T> implements Router<T> {
  readonly name = "MemoRouter";
  private readonly trie = new TrieRouter<T>();
  private readonly matches = new Map<string, Result<T>>();

  /** `limit`: paths remembered; all are forgotten when it is reached (paths with ids rarely repeat). */
  constructor(private readonly limit = 1000) {}

  add(method: string, path: string, handler: T): void {
    this.matches.clear();
    this.trie.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    let result = this.matches.get(key);
    if (result === undefined) {
      result = this.trie.match(method, path);
      if (this.matches.size >= this.limit) this.matches.clear();
      this.matches.set(key, result);
    }
    return result;
  }
}
