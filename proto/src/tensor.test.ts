import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { TensorProtoSchema } from "./gen/tensorflow/core/framework/tensor_pb.ts";
import { DataType, fromTensorProto, halfToFloat32, shapeProto, tensor, toTensorProto } from "./tensor.ts";

const wire = (t: Parameters<typeof toTensorProto>[0]) =>
  fromTensorProto(fromBinary(TensorProtoSchema, toBinary(TensorProtoSchema, toTensorProto(t))));

test("numeric tensors round-trip through tensor_content on the wire", () => {
  const cases = [
    tensor(DataType.DT_FLOAT, [2, 2], Float32Array.of(1.5, -2, 0, 3e-8)),
    tensor(DataType.DT_DOUBLE, [1], Float64Array.of(Math.PI)),
    tensor(DataType.DT_INT32, [3], Int32Array.of(-1, 0, 2 ** 31 - 1)),
    tensor(DataType.DT_UINT8, [1, 2, 2, 1], Uint8Array.of(0, 1, 254, 255)),
    tensor(DataType.DT_INT8, [2], Int8Array.of(-128, 127)),
    tensor(DataType.DT_INT64, [2], BigInt64Array.of(-(2n ** 62n), 7n)),
    tensor(DataType.DT_BOOL, [3], Uint8Array.of(1, 0, 1)),
    tensor(DataType.DT_HALF, [1], Uint16Array.of(0x3c00)),
  ];
  for (const t of cases) {
    const back = wire(t);
    assert.equal(back.dtype, t.dtype);
    assert.deepEqual(back.shape, t.shape);
    assert.deepEqual(back.values, t.values);
  }
});

test("DT_STRING tensors use string_val", () => {
  const t = tensor(DataType.DT_STRING, [2], [new TextEncoder().encode("raccoon"), new Uint8Array([0, 255])]);
  const proto = toTensorProto(t);
  assert.equal(proto.tensorContent.length, 0);
  assert.equal(proto.stringVal.length, 2);
  assert.deepEqual(wire(t).values, t.values);
});

test("typed *_val fields are read, repeating the last value as TensorFlow does", () => {
  const p = create(TensorProtoSchema, { dtype: DataType.DT_FLOAT, tensorShape: shapeProto([4]), floatVal: [1, 2] });
  assert.deepEqual(fromTensorProto(p).values, Float32Array.of(1, 2, 2, 2));
  const zeros = create(TensorProtoSchema, { dtype: DataType.DT_INT32, tensorShape: shapeProto([2, 2]) });
  assert.deepEqual(fromTensorProto(zeros).values, new Int32Array(4));
  const i64 = create(TensorProtoSchema, {
    dtype: DataType.DT_INT64,
    tensorShape: shapeProto([2]),
    int64Val: [5n, -3n],
  });
  assert.deepEqual(fromTensorProto(i64).values, BigInt64Array.of(5n, -3n));
  const bools = create(TensorProtoSchema, { dtype: DataType.DT_BOOL, tensorShape: shapeProto([2]), boolVal: [true] });
  assert.deepEqual(fromTensorProto(bools).values, Uint8Array.of(1, 1));
  const u8 = create(TensorProtoSchema, { dtype: DataType.DT_UINT8, tensorShape: shapeProto([2]), intVal: [200, 7] });
  assert.deepEqual(fromTensorProto(u8).values, Uint8Array.of(200, 7));
  const scalar = create(TensorProtoSchema, { dtype: DataType.DT_FLOAT, floatVal: [0.5] });
  assert.deepEqual(fromTensorProto(scalar), { dtype: DataType.DT_FLOAT, shape: [], values: Float32Array.of(0.5) });
});

test("bad tensors give clear errors", () => {
  const short = create(TensorProtoSchema, {
    dtype: DataType.DT_FLOAT,
    tensorShape: shapeProto([3]),
    tensorContent: new Uint8Array(8),
  });
  assert.throws(() => fromTensorProto(short), /tensor_content has 8 bytes; a DT_FLOAT tensor of shape \[3\] needs 12/);
  const many = create(TensorProtoSchema, { dtype: DataType.DT_FLOAT, tensorShape: shapeProto([1]), floatVal: [1, 2] });
  assert.throws(() => fromTensorProto(many), /holds 2 values but its shape needs 1/);
  assert.throws(() => tensor(DataType.DT_FLOAT, [2], Int32Array.of(1, 2)), /needs a Float32Array/);
  assert.throws(() => tensor(DataType.DT_FLOAT, [3], Float32Array.of(1, 2)), /needs 3 values, got 2/);
  assert.throws(() => tensor(DataType.DT_FLOAT, [-1], new Float32Array(0)), /unknown dimension/);
});

test("half-precision bit patterns widen to the right floats", () => {
  const bits = Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0000, 0x7c00, 0x3555);
  const f = halfToFloat32(bits);
  assert.deepEqual([...f.slice(0, 6)], [1, -2, 65504, 2 ** -24, 0, Number.POSITIVE_INFINITY]);
  assert.ok(Math.abs(f[6]! - 1 / 3) < 1e-3);
  assert.ok(Number.isNaN(halfToFloat32(Uint16Array.of(0x7e00))[0]));
});

test("property: random float32 tensors round-trip exactly", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), fc.integer(), (shape, seed) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i) * 1e3));
      const back = wire(tensor(DataType.DT_FLOAT, shape, values));
      assert.deepEqual(back.shape, shape);
      assert.deepEqual(back.values, values);
    }),
    { numRuns: 200 },
  );
});
