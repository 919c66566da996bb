import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { parseLabelMap, readLabelMap, writeLabelMap } from "./label-map.ts";
import { TextFormatError } from "./text-format.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");

test("the raccoon label map parses", async () => {
  const { labels, warnings } = await readLabelMap(join(raccoon, "training", "object-detection.pbtxt"));
  assert.deepEqual(labels, [{ id: 1, name: "raccoon", displayName: "raccoon" }]);
  assert.deepEqual(warnings, []);
});

test("labels are written and read back, sorted by id", () => {
  const labels = [
    { id: 2, name: "dog", displayName: "Dog" },
    { id: 1, name: "cat", displayName: "cat" },
  ];
  const text = writeLabelMap(labels);
  assert.doesNotMatch(text, /display_name: "cat"/);
  assert.deepEqual(parseLabelMap(text).labels, [labels[1], labels[0]]);
});

const bad: [string, string, number, string, RegExp][] = [
  [
    "a repeated id",
    "item {\n  id: 1\n  name: 'a'\n}\nitem {\n  id: 1\n  name: 'b'\n}\n",
    5,
    "item.id",
    /id 1 is already used by the item on line 1/,
  ],
  [
    "a repeated name",
    "item { id: 1 name: 'a' }\n\nitem { id: 2 name: 'a' }",
    3,
    "item.name",
    /name "a" is already used/,
  ],
  ["id 0", "item { id: 0 name: 'a' }", 1, "item.id", /ids start at 1/],
  ["no name", "item { id: 3 }", 1, "item.name", /name is missing/],
  ["no id", "\nitem { name: 'x' }", 2, "item.id", /id is missing/],
  ["an unknown field", "item {\n  id: 1\n  label: 'a'\n}", 3, "item.label", /unknown field "label"/],
];

for (const [what, text, line, field, reason] of bad) {
  test(`a label map with ${what} is rejected with its line`, () => {
    assert.throws(
      () => parseLabelMap(text, "map.pbtxt"),
      (e: unknown) => {
        assert.ok(e instanceof TextFormatError, String(e));
        assert.equal(e.line, line);
        assert.equal(e.field, field);
        assert.match(e.message, reason);
        return true;
      },
    );
  });
}
