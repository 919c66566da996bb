import assert from "node:assert/strict";
import { test } from "node:test";
import { create, equals } from "@bufbuild/protobuf";
import { NodeDefSchema } from "../gen/tensorflow/core/framework/node_def_pb.ts";
import { attrValue, DataType, opDefs, outputDtype, withDefaultAttrs, withoutDefaultAttrs } from "./index.ts";

const conv = (dilations: number[]) =>
  create(NodeDefSchema, {
    name: "c",
    op: "Conv2D",
    input: ["x", "w"],
    attr: {
      T: attrValue("type", DataType.DT_FLOAT),
      strides: attrValue("list(int)", [1, 1, 1, 1]),
      padding: attrValue("string", "SAME"),
      dilations: attrValue("list(int)", dilations),
      data_format: attrValue("string", "NHWC"),
    },
  });

test("default-valued attrs are stripped; others are kept", () => {
  const stripped = withoutDefaultAttrs(conv([1, 1, 1, 1]));
  assert.deepEqual(Object.keys(stripped.attr).sort(), ["T", "padding", "strides"]);
  const dilated = withoutDefaultAttrs(conv([1, 2, 2, 1]));
  assert.deepEqual(Object.keys(dilated.attr).sort(), ["T", "dilations", "padding", "strides"]);
});

test("filling defaults restores what stripping removed (what TensorFlow.js needs)", () => {
  const node = conv([1, 1, 1, 1]);
  const filled = withDefaultAttrs(withoutDefaultAttrs(node));
  assert.deepEqual(Object.keys(filled.attr).sort(), [
    "T",
    "data_format",
    "dilations",
    "explicit_paddings",
    "padding",
    "strides",
    "use_cudnn_on_gpu",
  ]);
  assert.ok(equals(NodeDefSchema, withoutDefaultAttrs(filled), withoutDefaultAttrs(node)));
});

test("unknown ops pass through untouched", () => {
  const node = create(NodeDefSchema, { name: "n", op: "SomethingElse", attr: { x: attrValue("int", 3) } });
  assert.equal(withDefaultAttrs(node), node);
  assert.equal(withoutDefaultAttrs(node), node);
});

test("every op's type attrs and outputs are consistent", () => {
  for (const [op, def] of Object.entries(opDefs)) {
    for (const o of def.outputs) {
      if ("typeAttr" in o) assert.equal(def.attrs[o.typeAttr]?.kind, "type", `${op} output reads ${o.typeAttr}`);
    }
    if (def.inputs.some((i) => i.endsWith("*"))) assert.equal(def.attrs.N?.kind, "int", `${op} list input needs N`);
  }
});

test("output dtypes come from attrs, defaults or fixed types", () => {
  const topk = create(NodeDefSchema, { name: "t", op: "TopKV2", attr: { T: attrValue("type", DataType.DT_FLOAT) } });
  assert.equal(outputDtype(topk, 0), DataType.DT_FLOAT);
  assert.equal(outputDtype(topk, 1), DataType.DT_INT32);
  const less = create(NodeDefSchema, { name: "l", op: "Less", attr: { T: attrValue("type", DataType.DT_FLOAT) } });
  assert.equal(outputDtype(less, 0), DataType.DT_BOOL);
  assert.throws(() => outputDtype(topk, 2), /has no output 2/);
  assert.throws(() => attrValue("list(int)", [1.5]), /not a valid list\(int\)/);
});
