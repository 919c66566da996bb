// Backbone features on every core. TensorFlow.js's WASM backend runs one thread in Node, so each core
// gets a worker thread with its own backend and copy of the backbone; the main thread only hands out
// jobs. With tfjs-node-gpu (the container) or a single core, the features are computed in-process.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { AugmentationSpec, NormBox } from "./augment.ts";
import { selectBackend } from "./backend.ts";
import { type CachedFeatures, featuresOf } from "./features.ts";
import type { ResizeMode, RgbImage } from "./image.ts";
import type { Pretrained } from "./pretrained.ts";

export interface FeatureJob {
  image: RgbImage;
  boxes: NormBox[];
  augmentations: AugmentationSpec[];
  /** undefined: the image as it is; else the seed of an augmented view. */
  seed: number | undefined;
  resize: ResizeMode;
  mirror?: boolean;
}

type Reply = { id: number; result?: CachedFeatures; error?: string; ready?: boolean };

/** Workers worth starting for this many jobs: one per core, when each gets a few jobs to repay its start. */
export async function featureWorkers(jobs: number): Promise<number> {
  const fromEnv = process.env.BOXLOOP_FEATURE_WORKERS;
  if (fromEnv !== undefined) return Number(fromEnv);
  if ((await selectBackend()).backend === "tensorflow") return 0;
  const cores = availableParallelism();
  return cores > 1 && jobs >= 4 * cores ? Math.min(cores, 8) : 0;
}

export class FeaturePool {
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<{ take: (worker: Worker) => void; fail: (e: Error) => void }> = [];
  private readonly pending = new Map<number, { resolve: (r: CachedFeatures) => void; reject: (e: Error) => void }>();
  private readonly workers: Worker[] = [];
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  private constructor(private readonly pre: Pretrained) {}

  /** A pool of `workers` threads (0: every job runs in-process, one at a time). */
  static async start(pre: Pretrained, workers: number): Promise<FeaturePool> {
    const pool = new FeaturePool(pre);
    const { backend } = await selectBackend();
    await Promise.all(Array.from({ length: workers }, () => pool.spawn(backend)));
    return pool;
  }

  private spawn(backend: string): Promise<void> {
    const worker = new Worker(new URL("./feature-worker.mjs", import.meta.url), {
      workerData: { size: this.pre.size },
      // The entry registers tsx itself; the parent's flags (e.g. --input-type with -e) may not apply to a worker.
      execArgv: [],
      env: { ...process.env, BOXLOOP_BACKEND: backend },
    });
    this.workers.push(worker);
    return new Promise((ready, fail) => {
      worker.on("message", (reply: Reply) => {
        if (reply.ready) {
          ready();
          this.release(worker);
          return;
        }
        const job = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        this.release(worker);
        if (reply.error !== undefined) job?.reject(new Error(reply.error));
        else job?.resolve(reply.result!);
      });
      const broken = (reason: string) => {
        this.failure ??= new Error(`a feature worker failed: ${reason}`);
        for (const job of this.pending.values()) job.reject(this.failure);
        for (const waiter of this.waiting) waiter.fail(this.failure);
        this.pending.clear();
        this.waiting.length = 0;
        fail(this.failure);
      };
      worker.on("error", (error) => broken(error.message));
      // A worker that dies without an error (killed, out of memory) must not leave its job waiting.
      worker.on("exit", (code) => {
        if (!this.closing) broken(`it exited with code ${code}`);
      });
    });
  }

  private release(worker: Worker) {
    const next = this.waiting.shift();
    if (next) next.take(worker);
    else this.idle.push(worker);
  }

  /** Jobs that run at once. */
  get size(): number {
    return Math.max(1, this.workers.length);
  }

  /** The features of one job, on the next free worker (or in-process when the pool has none). */
  async compute(job: FeatureJob): Promise<CachedFeatures> {
    if (this.failure) throw this.failure;
    if (this.workers.length === 0) return featuresOf(this.pre, job);
    const worker = this.idle.pop() ?? (await new Promise<Worker>((take, fail) => this.waiting.push({ take, fail })));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
