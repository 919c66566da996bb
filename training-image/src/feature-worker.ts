// One feature worker: its own TensorFlow.js backend and copy of the backbone, computing the features of
// the jobs its FeaturePool sends (see feature-pool.ts).
import { parentPort, workerData } from "node:worker_threads";
import { selectBackend } from "./backend.ts";
import type { FeatureJob } from "./feature-pool.ts";
import { featuresOf } from "./features.ts";
import { loadPretrained } from "./pretrained.ts";

const { size } = workerData as { size: number };
await selectBackend();
const pre = await loadPretrained(size);
parentPort!.on("message", ({ id, job }: { id: number; job: FeatureJob }) => {
  try {
    const result = featuresOf(pre, job);
    const features = result.features.slice(); // its own buffer, transferred without a copy
    parentPort!.postMessage({ id, result: { ...result, features } }, [features.buffer]);
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
parentPort!.postMessage({ ready: true });
