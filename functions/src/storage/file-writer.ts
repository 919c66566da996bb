// Writes the local store's object files on a worker thread. Each file is a temporary file, stamped
// with its time and renamed into place, so no file is ever half-written. Through libuv's pool each
// of a file's five calls cost the event loop a dispatch, a callback and a promise (~11% of the
// server's CPU under PUT load); here they are synchronous calls off the event loop.
import { Worker } from "node:worker_threads";

/** A file to write (`body`) or, without one, to remove. */
export type FileJob =
  | {
      path: string;
      body: Uint8Array;
      /** Modification time stamped on the file, in seconds. */
      seconds: number;
    }
  | { path: string; body?: undefined };

export interface Outcome {
  errors: (string | null)[];
  made: number[];
}

type WireJob = Omit<Extract<FileJob, { seconds: number }>, "body"> & { start: number; end: number };

export class FileWriter {
  private worker: Worker | undefined;
  private lastId = 0;
  private readonly waiting = new Map<number, { resolve: (outcome: Outcome) => void; reject: (e: Error) => void }>();

  /**
   * Runs the jobs in order; resolves with each one's error message, or null where it succeeded, and
   * the indices of the jobs that made their file's folder.
   */
  run(jobs: FileJob[]): Promise<Outcome> {
    // One buffer of its own for all the bodies: a posted view would copy its whole ArrayBuffer
    // (an 8 KB pool slab for most small Buffers), and a transferred one must not be shared.
    const data = new Uint8Array(jobs.reduce((n, job) => n + (job.body?.byteLength ?? 0), 0));
    let at = 0;
    const wire = jobs.map((job): WireJob | { path: string } => {
      if (job.body === undefined) return { path: job.path };
      const { body, ...rest } = job;
      data.set(body, at);
      at += body.byteLength;
      return { ...rest, start: at - body.byteLength, end: at };
    });
    const id = ++this.lastId;
    return new Promise((resolve, reject) => {
      const worker = this.started();
      // A batch in flight keeps the process alive, as an awaited fs call would.
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, jobs: wire, data: data.buffer }, [data.buffer]);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL("./file-writer-worker.mjs", import.meta.url), { execArgv: [] });
    worker.on("message", ({ id, ...outcome }: Outcome & { id: number }) => {
      this.waiting.get(id)?.resolve(outcome);
      this.waiting.delete(id);
      if (this.waiting.size === 0) worker.unref();
    });
    worker.on("error", (error) => this.fail(worker, error));
    worker.on("exit", (code) => this.fail(worker, new Error(`file writer exited with code ${code}`)));
    // Idle, the worker keeps no process alive (after the listeners: adding one refs its port again).
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Rejects what a dead worker held; the next batch starts another. */
  private fail(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = undefined;
    for (const { reject } of this.waiting.values()) reject(error);
    this.waiting.clear();
  }
}
