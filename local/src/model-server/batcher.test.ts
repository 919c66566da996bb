import assert from "node:assert/strict";
import { test } from "node:test";
import { Batcher } from "./batcher.ts";
import type { HostTensor } from "./host-tensor.ts";
import type { SignatureSpec } from "./signature.ts";

const sig = (batch: number): Record<string, SignatureSpec> => ({
  s: {
    methodName: "tensorflow/serving/predict",
    inputs: { x: { name: "x:0", dtype: "DT_FLOAT", shape: [batch, 2] } },
    outputs: { y: { name: "y:0", dtype: "DT_FLOAT", shape: [batch] } },
  },
});
const rows = (...values: number[][]): HostTensor => ({
  dtype: "DT_FLOAT",
  shape: [values.length, 2],
  values: Float32Array.from(values.flat()),
});

// Long enough that a loaded machine never cuts a batch between requests submitted in one tick.
const patient = 200_000;

/** y = x0 + x1 per row; records each call's batch size; fails on a negative value. */
function model() {
  const calls: number[] = [];
  const run = async (_: string, inputs: Record<string, HostTensor>) => {
    const x = inputs.x!;
    calls.push(x.shape[0]!);
    await new Promise((r) => setTimeout(r, 5));
    const v = x.values as Float32Array;
    if (v.some((n) => n < 0)) throw new Error("negative input");
    const y = Float32Array.from({ length: x.shape[0]! }, (_, i) => v[2 * i]! + v[2 * i + 1]!);
    return { y: { dtype: "DT_FLOAT" as const, shape: [x.shape[0]!], values: y } };
  };
  return { calls, run };
}

test("concurrent requests run as one batch and each gets its own rows back", async () => {
  const m = model();
  const batcher = new Batcher(m.run, sig(-1), { maxBatchSize: 8, batchTimeoutMicros: patient, numBatchThreads: 1 });
  const results = await Promise.all([
    batcher.submit("s", { x: rows([1, 2]) }),
    batcher.submit("s", { x: rows([3, 4], [5, 6]) }),
    batcher.submit("s", { x: rows([7, 8]) }),
  ]);
  assert.deepEqual(m.calls, [4]);
  assert.deepEqual(
    results.map((r) => [...(r.y!.values as Float32Array)]),
    [[3], [7, 11], [15]],
  );
  assert.deepEqual(results[1]!.y!.shape, [2]);
});

test("max_batch_size splits batches; a fixed batch dimension is never batched", async () => {
  const m = model();
  const batcher = new Batcher(m.run, sig(-1), { maxBatchSize: 2, batchTimeoutMicros: patient, numBatchThreads: 1 });
  await Promise.all([1, 2, 3, 4, 5].map((i) => batcher.submit("s", { x: rows([i, i]) })));
  assert.deepEqual(m.calls, [2, 2, 1]);

  const fixed = model();
  const unbatched = new Batcher(fixed.run, sig(1), {
    maxBatchSize: 8,
    batchTimeoutMicros: patient,
    numBatchThreads: 1,
  });
  await Promise.all([1, 2, 3].map((i) => unbatched.submit("s", { x: rows([i, i]) })));
  assert.deepEqual(fixed.calls, [1, 1, 1]);
});

test("one bad request fails alone, not its batch-mates", async () => {
  const m = model();
  const batcher = new Batcher(m.run, sig(-1), { maxBatchSize: 8, batchTimeoutMicros: patient, numBatchThreads: 1 });
  const results = await Promise.allSettled([
    batcher.submit("s", { x: rows([1, 1]) }),
    batcher.submit("s", { x: rows([-1, 1]) }),
    batcher.submit("s", { x: rows([2, 2]) }),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ["fulfilled", "rejected", "fulfilled"],
  );
  assert.deepEqual(
    [...((results[2] as PromiseFulfilledResult<Record<string, HostTensor>>).value.y!.values as Float32Array)],
    [4],
  );
});
