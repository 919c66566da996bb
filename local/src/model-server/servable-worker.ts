// One model-server thread: loads a SavedModel version with its own TensorFlow.js backend and runs the
// requests that threaded-servable.ts sends it.
import { parentPort, workerData } from "node:worker_threads";
import type { HostTensor } from "./host-tensor.ts";
import { savedModelLoader } from "./saved-model-servable.ts";
import { ServingError } from "./serving-error.ts";

const { dir } = workerData as { dir: string };
const port = parentPort!;
const failure = (error: unknown) => ({
  code: error instanceof ServingError ? error.code : "INTERNAL",
  message: (error as Error).message,
});

/** The typed arrays' buffers, handed over rather than copied. */
function transferable(outputs: Record<string, HostTensor>): ArrayBuffer[] {
  return Object.values(outputs).flatMap((t) => (ArrayBuffer.isView(t.values) ? [t.values.buffer as ArrayBuffer] : []));
}

try {
  const servable = await savedModelLoader()(dir);
  port.on("message", async ({ signatureName, inputs }) => {
    try {
      const outputs = await servable.run(signatureName, inputs);
      port.postMessage({ outputs }, transferable(outputs));
    } catch (error) {
      port.postMessage({ error: failure(error) });
    }
  });
  port.postMessage({ ready: { signatures: servable.signatures, signatureDefMap: servable.signatureDefMap() } });
} catch (error) {
  port.postMessage({ loadError: failure(error) });
}
