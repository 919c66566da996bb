// Evaluate + Gate: the trainer measured the candidate and the serving version on the same held-out
// images (metrics.json); publish only if the candidate's AP50 is not worse than the serving one's by
// more than the tolerance, or if nothing serves yet.
import type { TrainingMetrics } from "@boxloop/proto/training-job";
import { getJson } from "../storage/port.ts";
import type { WorkflowContext } from "./context.ts";
import { runKeys, stepTimed, updateRun } from "./run-record.ts";

export interface Evaluation {
  publish: boolean;
  reason: string;
  AP50: number;
  servingAP50: number | null;
}

export function gate(metrics: TrainingMetrics, tolerance: number): { publish: boolean; reason: string } {
  const candidate = metrics.candidate.AP50;
  if (metrics.serving === null)
    return { publish: true, reason: "nothing serves yet: the first version is always published" };
  if (metrics.evalImages === 0) return { publish: true, reason: "no held-out images to judge by" };
  const serving = metrics.serving.AP50;
  const fmt = (x: number) => x.toFixed(3);
  return candidate >= serving - tolerance
    ? { publish: true, reason: `AP50 ${fmt(candidate)} vs serving ${fmt(serving)} (tolerance ${tolerance})` }
    : {
        publish: false,
        reason: `AP50 ${fmt(candidate)} is worse than serving ${fmt(serving)} by more than ${tolerance}`,
      };
}

export async function evaluate(ctx: WorkflowContext, cid: string, runId: string): Promise<Evaluation> {
  const at = ctx.now();
  const found = await getJson(ctx.data, runKeys.metrics(cid, runId));
  if (found === undefined) throw new Error(`the trainer wrote no metrics for run ${runId}`);
  const metrics = found.value as TrainingMetrics;
  if (typeof metrics.candidate?.AP50 !== "number") throw new Error(`metrics of run ${runId} have no candidate AP50`);
  const decision = gate(metrics, ctx.tolerance ?? 0.01);
  await updateRun(
    ctx.data,
    cid,
    runId,
    (run) => ({
      ...stepTimed(
        stepTimed(stepTimed(run, "Train", "end", at), "Evaluate", "start", at),
        "Evaluate",
        "end",
        ctx.now(),
      ),
      metrics: metrics.candidate,
      servingMetrics: metrics.serving,
      ...(metrics.prCurve ? { prCurve: metrics.prCurve } : {}),
      gate: decision,
    }),
    ctx.now,
  );
  return { ...decision, AP50: metrics.candidate.AP50, servingAP50: metrics.serving?.AP50 ?? null };
}
