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

/** A servable on worker threads; `threads` are its workers (for tests and diagnostics). */
export interface ThreadedServable extends Servable {
  readonly threads: readonly Worker[];
}

export function threadedLoader(threads: number): ServableLoader {
  return (dir) => loadOnThreads(dir, threads);
}

export async function loadOnThreads(dir: string, threads: number): Promise<ThreadedServable> {
  const started = await Promise.allSettled(Array.from({ length: threads }, () => startWorker(dir)));
  const workers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value.worker] : []));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw failed.reason;
  }
  const { ready } = (started[0] as PromiseFulfilledResult<{ ready: Ready }>).value;
  // Each worker runs one call at a time: it is handed a call only when idle.
  const live = new Set(workers);
  const idle = [...workers];
  const waiting: Array<{ take: (w: Worker) => void; fail: (e: Error) => void }> = [];
  const running = new Map<Worker, { resolve: (o: Outputs) => void; reject: (e: Error) => void }>();
  let disposed = false;
  const release = (w: Worker) => {
    const next = waiting.shift();
    if (next) next.take(w);
    else idle.push(w);
  };
  const lost = (worker: Worker, reason: string) => {
    if (disposed || !live.delete(worker)) return;
    running.get(worker)?.reject(new ServingError("INTERNAL", `a model thread failed: ${reason}`));
    running.delete(worker);
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
    if (live.size > 0) return;
    for (const waiter of waiting.splice(0)) waiter.fail(new ServingError("UNAVAILABLE", "every model thread failed"));
  };
  for (const worker of workers) {
    worker.on("message", (m: { outputs?: Outputs; error?: Failure }) => {
      const call = running.get(worker);
      running.delete(worker);
      release(worker);
      if (m.error) call?.reject(new ServingError(m.error.code, m.error.message));
      else call?.resolve(m.outputs!);
    });
    worker.on("error", (error) => lost(worker, error.message));
    worker.on("exit", (code) => lost(worker, `exited with code ${code}`));
  }
  return {
    threads: workers,
    signatures: ready.signatures,
    signatureDefMap: () => ready.signatureDefMap,
    async run(signatureName, inputs) {
      if (live.size === 0) throw new ServingError("UNAVAILABLE", "every model thread failed");
      const worker = idle.pop() ?? (await new Promise<Worker>((take, fail) => waiting.push({ take, fail })));
      return new Promise<Outputs>((resolve, reject) => {
        running.set(worker, { resolve, reject });
        worker.postMessage({ signatureName, inputs });
      });
    },
    dispose: () => {
      disposed = true;
      for (const w of workers) void w.terminate();
    },
  };
}
