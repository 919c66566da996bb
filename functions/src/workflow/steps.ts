// The workflow's steps as the state machine calls them: each takes the whole state (execution input
// plus the results so far at $.snapshot, $.evaluation, $.publish, $.error) and returns its result.
// `lambda.ts` binds them to a context built from the environment; the local runner to its own.

import { cleanup } from "./cleanup.ts";
import type { WorkflowContext, WorkflowInput } from "./context.ts";
import { type Evaluation, evaluate } from "./evaluate.ts";
import { publish } from "./publish.ts";
import { recordFailure, type StepError } from "./record-failure.ts";
import { type SnapshotResult, snapshot } from "./snapshot.ts";

export interface WorkflowState extends WorkflowInput {
  snapshot?: SnapshotResult;
  evaluation?: Evaluation;
  publish?: { version: number };
  error?: StepError;
}

function ready(state: WorkflowState) {
  if (state.snapshot?.status !== "ready") throw new Error("the run has no ready snapshot");
  return state.snapshot;
}

export function workflowSteps(ctx: WorkflowContext) {
  return {
    snapshot: (state: WorkflowState) => snapshot(ctx, state),
    evaluate: (state: WorkflowState) => evaluate(ctx, state.campaignId, ready(state).runId),
    publish: (state: WorkflowState) => publish(ctx, state.campaignId, ready(state).runId, ready(state).modelName),
    cleanup: (state: WorkflowState) =>
      cleanup(ctx, state.campaignId, ready(state).runId, ready(state).modelName, state.publish !== undefined),
    recordFailure: (state: WorkflowState) =>
      recordFailure(ctx, state.campaignId, state.snapshot?.runId ?? state.runId, state.error),
  };
}

export type WorkflowSteps = ReturnType<typeof workflowSteps>;
