// Object keys: `/`-separated segments of letters, digits and `._=@:-`, none empty, none starting
// with a dot (so no `..`, no hidden files in the local store), at most 1024 characters.
import { StorageError } from "./port.ts";

const segment = "[A-Za-z0-9_=@:-][A-Za-z0-9._=@:-]*";
const validKey = new RegExp(`^${segment}(?:/${segment})*$`);

export function isValidKey(key: string): boolean {
  return key.length <= 1024 && validKey.test(key);
}

/** The key as a URL path: its only characters that need escaping there are `=@:`. */
export function keyPath(key: string): string {
  return /[=@:]/.test(key) ? key.split("/").map(encodeURIComponent).join("/") : key;
}

export function assertKey(key: string): void {
  if (!isValidKey(key)) throw new StorageError("InvalidKey", `invalid object key: ${JSON.stringify(key)}`);
}

/** A prefix is a key, or a key followed by `/`, or empty. */
export function assertPrefix(prefix: string): void {
  if (prefix === "") return;
  assertKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
}

/** Whether `scope` may be a presigned GET's scope for `key`: a folder of it, ending in `/`. */
export function isScopeOf(key: string, scope: string): boolean {
  return scope.endsWith("/") && key.startsWith(scope);
}

export function assertScope(key: string, scope: string): void {
  if (!isScopeOf(key, scope))
    throw new StorageError("InvalidKey", `scope ${JSON.stringify(scope)} is not a folder of ${JSON.stringify(key)}`);
}
