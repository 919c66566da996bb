// TF Serving's --batching_parameters_file: a text-format BatchingParameters. max_batch_size,
// batch_timeout_micros and num_batch_threads are honoured; the others are accepted and reported.
import type { BatchingParameters } from "./batcher.ts";
import { defaultBatching } from "./batcher.ts";

const known = new Set([
  "max_batch_size",
  "batch_timeout_micros",
  "num_batch_threads",
  "max_enqueued_batches",
  "pad_variable_length_inputs",
  "allowed_batch_sizes",
  "thread_pool_name",
  "enable_large_batch_splitting",
  "max_execution_batch_size",
]);

export function parseBatchingParameters(
  text: string,
  source = "batching parameters",
): { params: BatchingParameters; ignored: string[] } {
  const params = { ...defaultBatching };
  const ignored: string[] = [];
  const body = text.replace(/#[^\n]*/g, "");
  const field = /([a-z_]+)\s*(?::\s*([^\s{}]+)|\{\s*value\s*:\s*([^\s}]+)\s*\})/g;
  let rest = body;
  for (const m of body.matchAll(field)) {
    const [whole, name, plain, wrapped] = m;
    rest = rest.replace(whole, "");
    if (!known.has(name!)) throw new Error(`${source}: unknown field '${name}'`);
    const value = wrapped ?? plain!;
    if (name === "max_batch_size" || name === "batch_timeout_micros") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < (name === "max_batch_size" ? 1 : 0)) {
        throw new Error(
          `${source}: ${name} must be a ${name === "max_batch_size" ? "positive" : "non-negative"} integer, got '${value}'`,
        );
      }
      if (name === "max_batch_size") params.maxBatchSize = n;
      else params.batchTimeoutMicros = n;
    } else if (name === "num_batch_threads") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`${source}: num_batch_threads must be a positive integer, got '${value}'`);
      params.numBatchThreads = n;
    } else {
      ignored.push(name!);
    }
  }
  if (rest.trim() !== "") throw new Error(`${source}: cannot parse '${rest.trim().slice(0, 40)}'`);
  return { params, ignored };
}
