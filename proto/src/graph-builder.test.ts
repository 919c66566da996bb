import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder, tensorName } from "./graph-builder.ts";
import { DataType, fromTensorProto, tensor } from "./tensor.ts";

const attrNames = (g: GraphBuilder, name: string) => Object.keys(g.node(name).attr).sort();

test("helpers give the attrs TensorFlow requires, with dtypes taken from the inputs", () => {
  const g = new GraphBuilder();
  const x = g.placeholder("x", DataType.DT_UINT8, [1, -1, -1, 3]);
  const f = g.cast(x, DataType.DT_FLOAT);
  assert.equal(f.dtype, DataType.DT_FLOAT);
  const w = g.constant(tensor(DataType.DT_FLOAT, [1, 1, 3, 4], new Float32Array(12)), "w");
  const c = g.conv2d(f, w, { padding: "SAME" }, "conv");
  assert.deepEqual(attrNames(g, "conv"), ["T", "padding", "strides"]);
  assert.deepEqual(g.node("conv").input, ["Cast", "w"]);
  const [values, indices] = g.topK(g.reshape(c, [-1]), 5);
  assert.equal(values.dtype, DataType.DT_FLOAT);
  assert.equal(indices.dtype, DataType.DT_INT32);
  assert.equal(tensorName(indices), "TopKV2:1");
  assert.equal(g.argMax(c, 3).dtype, DataType.DT_INT64);
  assert.equal(g.shape(c).dtype, DataType.DT_INT32);
  assert.equal(g.resizeBilinear(x, [8, 8]).dtype, DataType.DT_FLOAT);
  assert.equal(g.less(c, 0.5).dtype, DataType.DT_BOOL);
  const [sel, scores] = g.nonMaxSuppression(g.reshape(c, [-1, 4]), values, {
    maxOutputSize: 3,
    iouThreshold: 0.5,
    scoreThreshold: 0,
  });
  assert.equal(sel.dtype, DataType.DT_INT32);
  assert.equal(scores.dtype, DataType.DT_FLOAT);
});

test("plain numbers become Consts of the other operand's dtype", () => {
  const g = new GraphBuilder();
  const x = g.placeholder("x", DataType.DT_INT64, [2]);
  const y = g.mul(x, 3);
  const k = g.node(g.node(y.node).input[1]!);
  assert.equal(k.op, "Const");
  const v = k.attr.value?.value;
  assert.ok(v?.case === "tensor");
  assert.deepEqual(fromTensorProto(v.value), { dtype: DataType.DT_INT64, shape: [], values: BigInt64Array.of(3n) });
  const r = g.reshape(x, [1, 2]);
  const shape = g.node(g.node(r.node).input[1]!).attr.value?.value;
  assert.ok(shape?.case === "tensor");
  assert.deepEqual(fromTensorProto(shape.value).values, Int32Array.of(1, 2));
});

test("list inputs set N; scopes prefix names; names stay unique", () => {
  const g = new GraphBuilder();
  const a = g.placeholder("a", DataType.DT_FLOAT, [2]);
  const p = g.scope("head", () => g.pack([a, a, a], 1));
  assert.equal(p.node, "head/Pack");
  assert.equal(g.node("head/Pack").attr.N?.value.value, 3n);
  assert.equal(g.scope("head", () => g.identity(a)).node, "head/Identity");
  assert.equal(g.scope("head", () => g.identity(a)).node, "head/Identity_1");
  assert.equal(g.concat([a, a], 0).node, "ConcatV2");
  // TensorFlow's importer would rename one of "Relu" and "relu"; the builder never makes both.
  assert.equal(g.relu(a).node, "Relu");
  assert.equal(g.identity(a, "out").node, "out");
  assert.throws(() => g.identity(a, "relu"), /already has a node named relu \(names are case-insensitive\)/);
  assert.equal(g.uniqueName("RELU"), "RELU_1");
});

test("mistakes are refused with the op and node named", () => {
  const g = new GraphBuilder();
  const a = g.placeholder("a", DataType.DT_FLOAT);
  assert.throws(
    () => g.op("Conv2D", [a, a], { T: DataType.DT_FLOAT, padding: "SAME" }, "c"),
    /Conv2D c: attr strides is required/,
  );
  assert.throws(() => g.op("Relu", [a], { T: DataType.DT_FLOAT, alpha: 1 }), /TensorFlow's Relu has no attr alpha/);
  assert.throws(() => g.op("Relu", [a, a], { T: DataType.DT_FLOAT }), /takes 1 inputs, got 2/);
  assert.throws(() => g.op("NoSuchOp", [], {}), /op NoSuchOp is not in boxloop's op table/);
  assert.throws(() => g.placeholder("a", DataType.DT_FLOAT), /already has a node named a/);
  const other = new GraphBuilder().placeholder("b", DataType.DT_FLOAT);
  assert.throws(() => g.relu(other), /input b:0 is not in this graph/);
  assert.throws(() => g.op("Relu", [a], { T: 1.5 }), /not a valid type/);
});

test("toGraphDef holds every node and a producer version", () => {
  const g = new GraphBuilder();
  g.relu6(g.placeholder("a", DataType.DT_FLOAT, [1]));
  const def = g.toGraphDef();
  assert.deepEqual(
    def.node.map((n) => n.op),
    ["Placeholder", "Relu6"],
  );
  assert.ok((def.versions?.producer ?? 0) > 0);
});
