// Values that long-lived structures (the campaign view, the prediction cache) keep for every image
// or answer. Every object they keep is one more for each full collection to mark, and in a view of
// 100,000 images those collections held requests longest (docs/api.md, "Fewer objects for the
// collector").

/**
 * A copy of `value` that keeps no other string alive. V8 makes a substring of 13 characters or
 * more (an id cut from a listing key, a parameter cut from a request's path) a slice, which keeps
 * its whole parent.
 */
export function ownString(value: string): string {
  return value.length < 13 ? value : Buffer.from(value, "utf8").toString("utf8");
}

/**
 * Returns one shared copy of each value, told apart by `keyOf`, for up to `limit` distinct values;
 * beyond those, each value as `keep` makes it. Shared values must not be changed.
 */
export function interner<T>(limit: number, keyOf: (value: T) => string, keep: (value: T) => T): (value: T) => T {
  const known = new Map<string, T>();
  return (value) => {
    const found = known.get(keyOf(value));
    if (found !== undefined) return found;
    const kept = keep(value);
    if (known.size < limit) known.set(keyOf(kept), kept);
    return kept;
  };
}

/** Strings: one copy of each of up to `limit` values, and own copies beyond (see `ownString`). */
export const stringInterner = (limit: number) => interner<string>(limit, (value) => value, ownString);
