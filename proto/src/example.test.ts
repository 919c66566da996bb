import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { type DetectionExample, decodeDetectionExample, ExampleError, encodeDetectionExample } from "./example.ts";
import { ExampleSchema } from "./gen/tensorflow/core/example/example_pb.ts";

const unit = fc.float({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true });
const range = fc.tuple(unit, unit).map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a]));
const object = fc.record({
  x: range,
  y: range,
  label: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  text: fc.string({ unit: "grapheme", maxLength: 20 }),
});
const example: fc.Arbitrary<DetectionExample> = fc.record({
  filename: fc.string({ unit: "grapheme", maxLength: 30 }),
  sourceId: fc.string({ maxLength: 30 }),
  encoded: fc.uint8Array({ maxLength: 2000 }),
  format: fc.constantFrom("jpeg", "png"),
  width: fc.integer({ min: 1, max: 100_000 }),
  height: fc.integer({ min: 1, max: 100_000 }),
  objects: fc
    .array(object, { maxLength: 12 })
    .map((os) => os.map(({ x, y, label, text }) => ({ xmin: x[0], xmax: x[1], ymin: y[0], ymax: y[1], label, text }))),
});

test("property: random detection examples round-trip exactly", () => {
  fc.assert(
    fc.property(example, (ex) => {
      const back = decodeDetectionExample(encodeDetectionExample(ex));
      assert.deepEqual({ ...back, encoded: Buffer.from(back.encoded) }, { ...ex, encoded: Buffer.from(ex.encoded) });
    }),
    { numRuns: 300 },
  );
});

test("boxes are stored as float32, as TensorFlow's FloatList", () => {
  const ex: DetectionExample = {
    filename: "a.jpg",
    sourceId: "a",
    encoded: new Uint8Array([1]),
    format: "jpeg",
    width: 3,
    height: 3,
    objects: [{ xmin: 0.1, ymin: 1 / 3, xmax: 0.7, ymax: 0.9, label: 1, text: "raccoon" }],
  };
  const [o] = decodeDetectionExample(encodeDetectionExample(ex)).objects;
  assert.equal(o!.xmin, Math.fround(0.1));
  assert.equal(o!.ymin, Math.fround(1 / 3));
});

test("encoding rejects boxes that are not normalized, naming the key and object", () => {
  const base: DetectionExample = {
    filename: "a.jpg",
    sourceId: "a",
    encoded: new Uint8Array(),
    format: "jpeg",
    width: 10,
    height: 10,
    objects: [],
  };
  const bad = { ...base, objects: [{ xmin: 0, ymin: 0, xmax: 12, ymax: 1, label: 1, text: "x" }] };
  assert.throws(
    () => encodeDetectionExample(bad),
    (e: unknown) => {
      assert.ok(e instanceof ExampleError);
      assert.equal(e.key, "image/object/bbox/xmin");
      assert.match(e.message, /object 0 .*xmax 12/);
      return true;
    },
  );
  assert.throws(() => encodeDetectionExample({ ...base, width: 0 }), /image\/width: must be a positive integer/);
});

test("decoding reports a missing required key and mismatched list lengths", () => {
  const bare = toBinary(ExampleSchema, create(ExampleSchema, { features: { feature: {} } }));
  assert.throws(() => decodeDetectionExample(bare), /image\/encoded: required feature is missing/);
  const ex = encodeDetectionExample({
    filename: "a",
    sourceId: "a",
    encoded: new Uint8Array([1]),
    format: "png",
    width: 1,
    height: 1,
    objects: [{ xmin: 0, ymin: 0, xmax: 1, ymax: 1, label: 1, text: "a" }],
  });
  assert.throws(() => decodeDetectionExample(new Uint8Array([0xff, 0xff, 0xff])), /not a tf.train.Example/);
  // Drop one ymax value: lengths no longer agree.
  const parsed = fromBinary(ExampleSchema, ex);
  const ymax = parsed.features!.feature["image/object/bbox/ymax"]!;
  if (ymax.kind.case === "floatList") ymax.kind.value.value = [];
  assert.throws(
    () => decodeDetectionExample(toBinary(ExampleSchema, parsed)),
    /image\/object\/bbox\/ymax: has 0 values but image\/object\/bbox\/xmin has 1/,
  );
});
