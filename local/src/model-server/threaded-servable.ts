// A servable spread over worker threads, each with its own copy of the model: TensorFlow.js's WASM
// backend is single-threaded in Node, so this is how a model server uses more than one core. It is
// what TF Serving's batching parameter num_batch_threads asks for: that many batches run at once.
import { Worker } from "node:worker_threads";
import type { HostTensor } from "./host-tensor.ts";
import type { Servable, ServableLoader } from "./servable.ts";
import { type CodeName, ServingError } from "./serving-error.ts";
import type { SignatureSpec } from "./signature.ts";

type Failure = { code: CodeName; message: string };
type Outputs = Record<string, HostTensor>;
interface Ready {
  signatures: Record<string, SignatureSpec>;
  signatureDefMap: ReturnType<Servable["signatureDefMap"]>;
}

function startWorker(dir: string): Promise<{ worker: Worker; ready: Ready }> {
  const worker = new Worker(new URL("./servable-worker.mjs", import.meta.url), {
    workerData: { dir },
    // The entry registers tsx itself; the parent's flags (e.g. --input-type with -e) may not apply to a worker.
    execArgv: [],
  });
  return new Promise((resolve, reject) => {
    const onMessage = (m: { ready?: Ready; loadError?: Failure }) => {
      worker.off("message", onMessage);
      if (m.ready) resolve({ worker, ready: m.ready });
      else {
        void worker.terminate();
        reject(new ServingError(m.loadError!.code, m.loadError!.message));
      }
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
  });
}

export function threadedLoader(threads: number): ServableLoader {
  return async (dir) => {
    const started = await Promise.allSettled(Array.from({ length: threads }, () => startWorker(dir)));
    const workers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value.worker] : []));
    const failed = started.find((s) => s.status === "rejected");
    if (failed) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw failed.reason;
    }
    const { ready } = (started[0] as PromiseFulfilledResult<{ ready: Ready }>).value;
    const idle = [...workers];
    const waiting: Array<(w: Worker) => void> = [];
    const pending = new Map<number, { resolve: (o: Outputs) => void; reject: (e: Error) => void }>();
    let nextId = 0;
    const release = (w: Worker) => {
      const next = waiting.shift();
      if (next) next(w);
      else idle.push(w);
    };
    for (const worker of workers) {
      worker.on("message", (m: { id: number; outputs?: Outputs; error?: Failure }) => {
        const call = pending.get(m.id);
        pending.delete(m.id);
        release(worker);
        if (m.error) call?.reject(new ServingError(m.error.code, m.error.message));
        else call?.resolve(m.outputs!);
      });
      worker.on("error", (error) => {
        for (const call of pending.values()) call.reject(new ServingError("INTERNAL", error.message));
        pending.clear();
      });
    }
    return {
      signatures: ready.signatures,
      signatureDefMap: () => ready.signatureDefMap,
      async run(signatureName, inputs) {
        const worker = idle.pop() ?? (await new Promise<Worker>((take) => waiting.push(take)));
        const id = nextId++;
        return new Promise<Outputs>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          worker.postMessage({ id, signatureName, inputs });
        });
      },
      dispose: () => {
        for (const w of workers) void w.terminate();
      },
    };
  };
}
