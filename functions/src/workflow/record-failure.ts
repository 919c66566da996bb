// RecordFailure: a step failed (the Catch of every task lands here). The error goes on the run,
// the campaign is released, and the served model is untouched: Publish is the only step that
// writes models/, and it writes saved_model.pb last.
import type { WorkflowContext } from "./context.ts";
import { finish } from "./finish.ts";
import { readRun, updateRun } from "./run-record.ts";

export interface StepError {
  Error?: string;
  Cause?: string;
}

/** Step Functions' Cause is often a JSON document (Lambda errors, ECS task descriptions). */
export function describeError(error: StepError | undefined): string {
  const name = error?.Error ?? "Error";
  let cause = error?.Cause ?? "";
  try {
    const parsed = JSON.parse(cause) as {
      errorMessage?: string;
      StoppedReason?: string;
      Containers?: { Reason?: string; ExitCode?: number }[];
    };
    cause =
      parsed.errorMessage ??
      parsed.StoppedReason ??
      parsed.Containers?.map((c) => c.Reason ?? `exit ${c.ExitCode}`).join("; ") ??
      cause;
  } catch {}
  return cause ? `${name}: ${cause}` : name;
}

export async function recordFailure(
  ctx: WorkflowContext,
  cid: string,
  runId: string | undefined,
  error: StepError | undefined,
) {
  const message = describeError(error);
  if (runId === undefined || (await readRun(ctx.data, cid, runId)) === undefined)
    return { recorded: false, error: message };
  await updateRun(ctx.data, cid, runId, (r) => ({ ...r, status: "failed", error: message }), ctx.now);
  await finish(ctx, cid, runId);
  return { recorded: true, error: message };
}
