// num_batch_threads: a version loaded on worker threads answers as the in-process one, runs requests
// side by side, and reports load failures with TF Serving's codes.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { HostTensor } from "@boxloop/local/model-server/host-tensor";
import { savedModelLoader } from "@boxloop/local/model-server/saved-model-servable";
import { ServingError } from "@boxloop/local/model-server/serving-error";
import { loadOnThreads, threadedLoader } from "@boxloop/local/model-server/threaded-servable";
import { writeConvDetector } from "./conv-detector.ts";

const image = (seed: number): HostTensor => ({
  dtype: "DT_UINT8",
  shape: [1, 48, 64, 3],
  values: Uint8Array.from({ length: 48 * 64 * 3 }, (_, i) => (i * seed * 7 + seed) % 256),
});

test("a version on two model threads: the in-process answers, requests side by side, load errors kept", async () => {
  const base = await mkdtemp(join(tmpdir(), "boxloop-threads-"));
  await writeConvDetector(join(base, "1"), { seed: 3 });
  const local = await savedModelLoader()(join(base, "1"));
  const threaded = await threadedLoader(2)(join(base, "1"));
  try {
    assert.deepEqual(threaded.signatures, local.signatures);
    assert.deepEqual(threaded.signatureDefMap().binary, local.signatureDefMap().binary);
    const inputs = [1, 2, 3, 4, 5, 6].map(image);
    const answers = await Promise.all(inputs.map((x) => threaded.run("serving_default", { input_tensor: x })));
    for (const [i, x] of inputs.entries()) {
      const expected = await local.run("serving_default", { input_tensor: x });
      for (const [alias, t] of Object.entries(expected)) {
        assert.deepEqual(answers[i]![alias]!.shape, t.shape, alias);
        assert.deepEqual([...(answers[i]![alias]!.values as Float32Array)], [...(t.values as Float32Array)], alias);
      }
    }
    await assert.rejects(
      threaded.run("serving_default", {
        input_tensor: { dtype: "DT_UINT8", shape: [1, 2, 3], values: new Uint8Array(6) },
      }),
      (e: unknown) => e instanceof ServingError && e.code === "INVALID_ARGUMENT",
    );
    // A dead model thread fails its call, not the server; with none left, calls are UNAVAILABLE.
    const threads = await loadOnThreads(join(base, "1"), 1);
    const stuck = threads.run("serving_default", { input_tensor: inputs[0]! });
    await threads.threads[0]!.terminate(); // as an out-of-memory kill would
    await assert.rejects(stuck, (e: unknown) => e instanceof ServingError && e.code === "INTERNAL");
    await assert.rejects(
      threads.run("serving_default", { input_tensor: inputs[0]! }),
      (e: unknown) => e instanceof ServingError && e.code === "UNAVAILABLE",
    );
  } finally {
    threaded.dispose();
    local.dispose();
  }
  await writeFile(join(base, "1", "saved_model.pb"), "not a SavedModel");
  const inProcess = await savedModelLoader()(join(base, "1")).catch((e: ServingError) => e.code);
  const onThreads = await threadedLoader(2)(join(base, "1")).catch((e: ServingError) => e.code);
  assert.equal(onThreads, inProcess);
  assert.equal(onThreads, "DATA_LOSS");
});
