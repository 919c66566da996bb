import assert from "node:assert/strict";
import { test } from "node:test";
import { TrainEvalPipelineConfigSchema } from "./gen/object_detection/protos/pipeline_pb.ts";
import { StringIntLabelMapSchema } from "./gen/object_detection/protos/string_int_label_map_pb.ts";
import { parseText, TextFormatError } from "./text-format.ts";

test("lists of messages, angle brackets, separators and comments are read", () => {
  const text = [
    "# a comment with { braces } and 'quotes'",
    "item: [{ id: 1 name: 'a{b' }, < id: 2; name: \"c#d\" >]",
    "item { id: 3, name: 'e' 'f' }  # adjacent strings join",
  ].join("\n");
  const { message, fields } = parseText(StringIntLabelMapSchema, text);
  assert.deepEqual(
    message.item.map((i) => [i.id, i.name]),
    [
      [1, "a{b"],
      [2, "c#d"],
      [3, "ef"],
    ],
  );
  assert.deepEqual(
    fields.map((f) => [f.path, f.line, f.column]),
    [
      ["item", 2, 1],
      ["item.id", 2, 10],
      ["item.name", 2, 16],
      ["item.id", 2, 33],
      ["item.name", 2, 40],
      ["item", 3, 1],
      ["item.id", 3, 8],
      ["item.name", 3, 15],
    ],
  );
});

test("scalar lists, signs and special floats are read as fromText reads them", () => {
  const text = `model { ssd { anchor_generator { ssd_anchor_generator {
    aspect_ratios: [1.0, -2, .5, 1e-1]
    aspect_ratios: inf
  } } } }`;
  const { message } = parseText(TrainEvalPipelineConfigSchema, text);
  const m = message.model!.model;
  assert.ok(m.case === "ssd");
  const a = m.value.anchorGenerator!.anchorGeneratorOneof;
  assert.ok(a.case === "ssdAnchorGenerator");
  assert.deepEqual(a.value.aspectRatios, [1, -2, 0.5, Math.fround(0.1), Number.POSITIVE_INFINITY]);
});

test("errors inside lists and nested blocks give the line of the offending field", () => {
  const cases: [string, number, string][] = [
    ["item: [{ id: 1 }, { id: x }]", 1, "item.id"],
    ["item {\n  id: 1\n}\nitem [1]", 4, "item"],
    ["\n\nitem { id: 1 name: 'a' } }", 3, ""],
    ["item { [ext]: 1 }", 1, "item"],
  ];
  for (const [text, line, field] of cases) {
    assert.throws(
      () => parseText(StringIntLabelMapSchema, text),
      (e: unknown) => e instanceof TextFormatError && e.line === line && e.field === field,
      text,
    );
  }
});
