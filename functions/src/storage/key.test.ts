import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isValidKey, keyPath } from "./key.ts";

const chars = "aZ09._=@:-/%?#é ".split("");
const keys = fc.array(fc.constantFrom(...chars), { maxLength: 40 }).map((parts) => parts.join(""));

test("a key is valid when every /-separated segment is non-empty, allowed characters, no leading dot", () => {
  const bySegment = (key: string) =>
    key.length > 0 && key.split("/").every((part) => /^[A-Za-z0-9_=@:-][A-Za-z0-9._=@:-]*$/.test(part));
  fc.assert(
    fc.property(keys, (key) => assert.equal(isValidKey(key), bySegment(key), key)),
    { numRuns: 2000 },
  );
  for (const key of ["", "/", "a/", "/a", "a//b", "../a", "a/../b", ".a", "a b", "x".repeat(1025)])
    assert.equal(isValidKey(key), false, key);
  for (const key of ["a", "a/b.c", "campaigns/c1/images/i-1.png", "a=b@c:d", "x".repeat(1024)])
    assert.equal(isValidKey(key), true, key);
});

test("a key's URL path escapes each segment as encodeURIComponent does", () => {
  fc.assert(
    fc.property(keys.filter(isValidKey), (key) =>
      assert.equal(keyPath(key), key.split("/").map(encodeURIComponent).join("/")),
    ),
    { numRuns: 2000 },
  );
});
