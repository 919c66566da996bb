import assert from "node:assert/strict";
import { test } from "node:test";
import { interner, ownString, stringInterner } from "./interning.ts";

test("ownString returns an equal string", () => {
  const key = "campaigns/c1/annotations/0123456789abcdef0123456789abcdef/annotator-1.json";
  const id = key.slice("campaigns/c1/annotations/".length, -"/annotator-1.json".length);
  assert.equal(ownString(id), "0123456789abcdef0123456789abcdef");
  assert.equal(ownString("short"), "short");
});

test("an interner shares one copy of equal values, up to its limit", () => {
  const shared = interner<Record<string, number>>(
    2,
    (counts) => Object.entries(counts).join(),
    (counts) => counts,
  );
  const first = shared({ accepted: 2 });
  assert.equal(shared({ accepted: 2 }), first);
  assert.notEqual(shared({ moved: 1 }), first);
  assert.equal(shared({ moved: 1 }), shared({ moved: 1 }));
  // Beyond the limit, values are not remembered: each comes back as itself.
  const third = { deleted: 1 };
  assert.equal(shared(third), third);
  assert.notEqual(shared({ deleted: 1 }), third);
});

test("a string interner gives equal strings", () => {
  const name = stringInterner(1);
  const path = "/api/v1/campaigns/c1/images/i1/annotations/annotator-with-a-long-name";
  const annotator = path.slice(path.lastIndexOf("/") + 1);
  assert.equal(name(annotator), "annotator-with-a-long-name");
  assert.equal(name("other-annotator-name"), "other-annotator-name");
});
