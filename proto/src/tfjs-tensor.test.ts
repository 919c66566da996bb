import assert from "node:assert/strict";
import { before, test } from "node:test";
import { DataType, tensor } from "./tensor.ts";
import { useTfjsBackend } from "./tfjs-backend.ts";
import { fromTfjsTensor, toTfjsTensor } from "./tfjs-tensor.ts";

before(() => useTfjsBackend("cpu"));

test("host tensors cross to TensorFlow.js and back in the signature's dtype", async () => {
  const cases = [
    tensor(DataType.DT_FLOAT, [2], Float32Array.of(0.5, -1)),
    tensor(DataType.DT_UINT8, [1, 1, 2, 3], Uint8Array.of(0, 1, 2, 253, 254, 255)),
    tensor(DataType.DT_INT64, [2], BigInt64Array.of(-5n, 7n)),
    tensor(DataType.DT_BOOL, [2], Uint8Array.of(1, 0)),
    tensor(DataType.DT_STRING, [1], [new TextEncoder().encode("raccoon")]),
  ];
  for (const t of cases) {
    const tt = toTfjsTensor(t);
    assert.deepEqual(tt.shape, t.shape);
    assert.deepEqual(await fromTfjsTensor(tt, t.dtype), t);
    tt.dispose();
  }
  assert.throws(() => toTfjsTensor(tensor(DataType.DT_INT64, [1], BigInt64Array.of(2n ** 40n))), /does not fit int32/);
});
