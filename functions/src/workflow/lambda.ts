// The training workflow's Lambda steps (Snapshot, Evaluate, Publish, CleanUp, RecordFailure), as
// CDK bundles them. Each receives the state machine's state and returns its own result.
import { S3Store } from "../storage/s3.ts";
import type { WorkflowContext } from "./context.ts";
import { sfnStarter } from "./sfn-starter.ts";
import { type WorkflowState, workflowSteps } from "./steps.ts";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

let steps: ReturnType<typeof workflowSteps> | undefined;

function awsSteps() {
  if (steps) return steps;
  const dataBucket = env("BOXLOOP_DATA_BUCKET");
  const modelsBucket = env("BOXLOOP_MODELS_BUCKET");
  const ctx: WorkflowContext = {
    data: new S3Store({ bucket: dataBucket }),
    models: new S3Store({ bucket: modelsBucket }),
    uri: (store, key) => `s3://${store === "data" ? dataBucket : modelsBucket}/${key}`,
    starter: sfnStarter(env("BOXLOOP_STATE_MACHINE_ARN")),
    now: () => new Date(),
    keep: Number(process.env.BOXLOOP_KEEP_VERSIONS ?? 5),
  };
  steps = workflowSteps(ctx);
  return steps;
}

export const snapshot = (state: WorkflowState) => awsSteps().snapshot(state);
export const evaluate = (state: WorkflowState) => awsSteps().evaluate(state);
export const publish = (state: WorkflowState) => awsSteps().publish(state);
export const cleanup = (state: WorkflowState) => awsSteps().cleanup(state);
export const recordFailure = (state: WorkflowState) => awsSteps().recordFailure(state);
