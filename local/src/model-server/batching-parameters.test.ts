import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBatchingParameters } from "./batching-parameters.ts";

test("reads TF Serving's batching parameters file", () => {
  const { params, ignored } = parseBatchingParameters(`
    max_batch_size { value: 8 }
    batch_timeout_micros { value: 500 }  # comment
    num_batch_threads { value: 2 }
    max_enqueued_batches { value: 100 }
  `);
  assert.deepEqual(params, { maxBatchSize: 8, batchTimeoutMicros: 500, numBatchThreads: 2 });
  assert.deepEqual(ignored, ["max_enqueued_batches"]);
});

test("rejects unknown fields, bad values and garbage", () => {
  assert.throws(() => parseBatchingParameters("max_batch { value: 8 }"), /unknown field 'max_batch'/);
  assert.throws(() => parseBatchingParameters("max_batch_size { value: 0 }"), /positive integer/);
  assert.throws(
    () => parseBatchingParameters("num_batch_threads { value: 0 }"),
    /num_batch_threads must be a positive/,
  );
  assert.throws(() => parseBatchingParameters("max_batch_size { value: 8 } }}"), /cannot parse/);
});
