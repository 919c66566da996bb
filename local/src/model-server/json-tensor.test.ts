import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostTensor } from "./host-tensor.ts";
import { parsePredictRequest, predictResponseJson } from "./json-tensor.ts";
import type { TensorSpec } from "./signature.ts";

const image: Record<string, TensorSpec> = { input_tensor: { name: "x:0", dtype: "DT_UINT8", shape: [-1, -1, -1, 3] } };
const two: Record<string, TensorSpec> = {
  a: { name: "a:0", dtype: "DT_FLOAT", shape: [-1, 2] },
  b: { name: "b:0", dtype: "DT_INT64", shape: [-1] },
};

test("row format batches instances along a new first dimension; columnar takes tensors whole", () => {
  const row = parsePredictRequest(JSON.stringify({ instances: [[[[1, 2, 3]]], [[[4, 5, 6]]]] }), () => image);
  assert.equal(row.format, "row");
  assert.deepEqual(row.inputs.input_tensor!.shape, [2, 1, 1, 3]);
  assert.deepEqual([...(row.inputs.input_tensor!.values as Uint8Array)], [1, 2, 3, 4, 5, 6]);

  const named = parsePredictRequest(
    JSON.stringify({
      signature_name: "s",
      instances: [
        { a: [1, 2], b: 7 },
        { a: [3, 4.5], b: 8 },
      ],
    }),
    (sig) => {
      assert.equal(sig, "s");
      return two;
    },
  );
  assert.deepEqual(named.inputs.a!.shape, [2, 2]);
  assert.deepEqual([...(named.inputs.b!.values as BigInt64Array)], [7n, 8n]);

  const columnar = parsePredictRequest(JSON.stringify({ inputs: { a: [[1, 2]], b: [3] } }), () => two);
  assert.equal(columnar.format, "columnar");
  assert.deepEqual(columnar.inputs.a!.shape, [1, 2]);
});

test("b64 values for an image input become encoded strings", () => {
  const req = parsePredictRequest(JSON.stringify({ instances: [{ b64: "/9j/AA==" }] }), () => image);
  assert.equal(req.inputs.input_tensor!.dtype, "DT_STRING");
  assert.deepEqual(req.inputs.input_tensor!.shape, [1]);
  assert.deepEqual([...(req.inputs.input_tensor!.values as Uint8Array[])[0]!], [0xff, 0xd8, 0xff, 0]);
});

test("errors name what is wrong as TF Serving does", () => {
  assert.throws(
    () => parsePredictRequest(JSON.stringify({ instances: [{ a: [1, 2] }] }), () => two),
    /keys must be equal to: a,b/,
  );
  assert.throws(() => parsePredictRequest(JSON.stringify({ inputs: [1] }), () => two), /inputs is a plain value\/list/);
  assert.throws(
    () => parsePredictRequest(JSON.stringify({ inputs: { a: [[1, 2]] } }), () => two),
    /Missing named input: b/,
  );
  assert.throws(() => parsePredictRequest("[1]", () => two), /Is not object/);
});

test("answers: predictions per instance (objects for several outputs), outputs whole; floats as float32 text", () => {
  const outputs: Record<string, HostTensor> = {
    scores: { dtype: "DT_FLOAT", shape: [2, 2], values: Float32Array.from([0.1, 1, 0.30000001192092896, -2.5]) },
    count: { dtype: "DT_INT32", shape: [2], values: Int32Array.from([2, 0]) },
  };
  assert.equal(
    predictResponseJson(outputs, "row"),
    '{"predictions":[{"count":2,"scores":[0.1,1.0]},{"count":0,"scores":[0.3,-2.5]}]}',
  );
  assert.equal(predictResponseJson(outputs, "columnar"), '{"outputs":{"count":[2,0],"scores":[[0.1,1.0],[0.3,-2.5]]}}');
  assert.equal(predictResponseJson({ y: outputs.count! }, "row"), '{"predictions":[2,0]}');
  assert.throws(
    () =>
      predictResponseJson(
        { a: outputs.count!, b: { dtype: "DT_FLOAT", shape: [1], values: new Float32Array(1) } },
        "row",
      ),
    /inconsistent batch size/,
  );
});
