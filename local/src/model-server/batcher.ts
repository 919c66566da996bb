// Batching of concurrent requests to one servable, as TF Serving's --enable_batching: requests
// wait up to batch_timeout_micros for others, are concatenated along dimension 0 (when the
// signature's batch dimension is free and the other dimensions agree) up to max_batch_size rows,
// run once, and the outputs are split back. Up to num_batch_threads batches run at once (on as many
// model threads, see threaded-servable.ts); while they run, the next batch keeps filling.
import { availableParallelism } from "node:os";
import { concat0, type HostTensor, shapeString, split0 } from "./host-tensor.ts";
import type { SignatureSpec } from "./signature.ts";

export interface BatchingParameters {
  maxBatchSize: number;
  batchTimeoutMicros: number;
  /** Batches run at once, each on a model thread of its own. */
  numBatchThreads: number;
}

export const defaultBatching: BatchingParameters = {
  maxBatchSize: 32,
  batchTimeoutMicros: 1000,
  numBatchThreads: availableParallelism(),
};

type Inputs = Record<string, HostTensor>;
type Outputs = Record<string, HostTensor>;
type Run = (signatureName: string, inputs: Inputs) => Promise<Outputs>;

interface Task {
  inputs: Inputs;
  rows: number;
  resolve(outputs: Outputs): void;
  reject(error: unknown): void;
}

interface Batch {
  signatureName: string;
  key: string;
  tasks: Task[];
  rows: number;
  openedAt: number;
}

function batchKey(inputs: Inputs): string {
  return Object.keys(inputs)
    .sort()
    .map((k) => `${k}:${inputs[k]!.dtype}:${shapeString(inputs[k]!.shape.slice(1))}`)
    .join("|");
}

export class Batcher {
  private open: Batch | undefined;
  private readonly closed: Batch[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Sizes of the batches run, for metrics and tests. */
  readonly batchSizes: number[] = [];

  constructor(
    private readonly run: Run,
    private readonly signatures: Record<string, SignatureSpec>,
    private readonly params: BatchingParameters,
  ) {}

  private batchable(signatureName: string, inputs: Inputs): boolean {
    const sig = this.signatures[signatureName];
    if (!sig) return false;
    return Object.entries(inputs).every(([alias, t]) => sig.inputs[alias]?.shape?.[0] === -1 && t.shape.length > 0);
  }

  submit(signatureName: string, inputs: Inputs): Promise<Outputs> {
    if (!this.batchable(signatureName, inputs)) return this.run(signatureName, inputs);
    return new Promise<Outputs>((resolve, reject) => {
      const rows = Object.values(inputs)[0]!.shape[0]!;
      const key = `${signatureName}#${batchKey(inputs)}`;
      if (this.open && (this.open.key !== key || this.open.rows + rows > this.params.maxBatchSize)) {
        this.closed.push(this.open);
        this.open = undefined;
      }
      this.open ??= { signatureName, key, tasks: [], rows: 0, openedAt: performance.now() };
      this.open.tasks.push({ inputs, rows, resolve, reject });
      this.open.rows += rows;
      if (this.open.rows >= this.params.maxBatchSize) {
        this.closed.push(this.open);
        this.open = undefined;
      }
      this.pump();
    });
  }

  private pump(): void {
    if (this.running >= this.params.numBatchThreads) return;
    let batch = this.closed.shift();
    if (!batch && this.open) {
      const waited = (performance.now() - this.open.openedAt) * 1000;
      if (waited >= this.params.batchTimeoutMicros) {
        batch = this.open;
        this.open = undefined;
      } else if (!this.timer) {
        this.timer = setTimeout(
          () => {
            this.timer = undefined;
            this.pump();
          },
          Math.max(0, (this.params.batchTimeoutMicros - waited) / 1000),
        );
      }
    }
    if (!batch) return;
    this.running++;
    this.execute(batch).finally(() => {
      this.running--;
      this.pump();
    });
    this.pump();
  }

  private async execute(batch: Batch): Promise<void> {
    this.batchSizes.push(batch.rows);
    const { tasks } = batch;
    try {
      if (tasks.length === 1) {
        tasks[0]!.resolve(await this.run(batch.signatureName, tasks[0]!.inputs));
        return;
      }
      const merged: Inputs = {};
      for (const alias of Object.keys(tasks[0]!.inputs)) merged[alias] = concat0(tasks.map((t) => t.inputs[alias]!));
      const outputs = await this.run(batch.signatureName, merged);
      const rows = tasks.map((t) => t.rows);
      const pieces: Record<string, HostTensor[]> = {};
      for (const [name, tensor] of Object.entries(outputs)) {
        if (tensor.shape[0] !== batch.rows) {
          throw new Error(`output ${name} is not batch-major (shape ${shapeString(tensor.shape)})`);
        }
        pieces[name] = split0(tensor, rows);
      }
      tasks.forEach((task, i) => {
        const out: Outputs = {};
        for (const name of Object.keys(pieces)) out[name] = pieces[name]![i]!;
        task.resolve(out);
      });
    } catch (error) {
      // One bad request must not fail its batch-mates: run each alone to give each its own answer.
      if (tasks.length === 1) {
        tasks[0]!.reject(error);
        return;
      }
      for (const task of tasks) {
        await this.run(batch.signatureName, task.inputs).then(task.resolve, task.reject);
      }
    }
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
