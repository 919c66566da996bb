// What every workflow step needs: the two stores, how the trainer reaches an object (a local path
// or an s3:// URI), and a way to start the next execution (a queued run). The Lambda entry point
// builds it from the environment; the local runner builds it from the data directory.
import type { Store } from "../storage/port.ts";

export interface WorkflowStarter {
  /** Starts one execution of the training state machine with this input. */
  start(input: WorkflowInput): Promise<{ executionId: string }>;
}

export interface WorkflowContext {
  /** The data bucket: campaigns/… */
  data: Store;
  /** The models bucket: <model-name>/<version>/… */
  models: Store;
  /** The URI under which the trainer opens a key of the data or models store. */
  uri(store: "data" | "models", key: string): string;
  starter: WorkflowStarter;
  now(): Date;
  /** Versions and snapshots kept by CleanUp. @default 5 */
  keep?: number;
  /** Gate: the candidate may be this much worse in AP50 than the serving version. @default 0.01 */
  tolerance?: number;
}

export interface WorkflowInput {
  campaignId: string;
  runId?: string;
  trigger?: {
    kind: "manual" | "answers" | "schedule" | "queued";
    by?: string | undefined;
    answers?: number | undefined;
  };
}
