// A training run's record, `campaigns/<cid>/runs/<rid>/run.json`: what the API shows. Every step
// updates it with compare-and-swap, so concurrent writers (a step and the API) never lose an update.
import { z } from "@hono/zod-openapi";
import { getJson, isPreconditionFailed, type Store } from "../storage/port.ts";
import { TrainingRun } from "../training/port.ts";

export const runKeys = {
  record: (cid: string, rid: string) => `campaigns/${cid}/runs/${rid}/run.json`,
  manifest: (cid: string, rid: string) => `campaigns/${cid}/runs/${rid}/manifest.json`,
  train: (cid: string, rid: string) => `campaigns/${cid}/runs/${rid}/train.tfrecord`,
  eval: (cid: string, rid: string) => `campaigns/${cid}/runs/${rid}/eval.tfrecord`,
  metrics: (cid: string, rid: string) => `campaigns/${cid}/runs/${rid}/metrics.json`,
  export: (cid: string, rid: string) => `campaigns/${cid}/runs/${rid}/export`,
  run: (cid: string, rid: string) => `campaigns/${cid}/runs/${rid}/`,
  runs: (cid: string) => `campaigns/${cid}/runs/`,
  checkpoints: (cid: string) => `campaigns/${cid}/checkpoints`,
  tensorboard: (cid: string) => `campaigns/${cid}/tensorboard`,
  /** Held while a run of the campaign is between Snapshot and its end: one run at a time. */
  active: (cid: string) => `campaigns/${cid}/training/active.json`,
  /** At most one run waits for the active one. */
  queued: (cid: string) => `campaigns/${cid}/training/queued.json`,
  /** When the last snapshot was taken: answers after it are new. */
  lastSnapshot: (cid: string) => `campaigns/${cid}/training/last-snapshot.json`,
};

export const RunRecord = TrainingRun.extend({
  steps: z.record(z.string(), z.object({ startedAt: z.string(), endedAt: z.string().optional() })).default({}),
  snapshot: z
    .object({
      trainImages: z.int(),
      evalImages: z.int(),
      newAnswers: z.int(),
      /** The newest answer's time in the store: answers after it are the next run's new ones. */
      answersUpTo: z.string(),
    })
    .optional(),
  servingMetrics: z.record(z.string(), z.number()).nullable().optional(),
  prCurve: z.array(z.object({ recall: z.number(), precision: z.number() })).optional(),
  gate: z.object({ publish: z.boolean(), reason: z.string() }).optional(),
  reason: z.string().optional(),
});
export type RunRecord = z.infer<typeof RunRecord>;

export async function readRun(store: Store, cid: string, rid: string): Promise<RunRecord | undefined> {
  const found = await getJson(store, runKeys.record(cid, rid));
  return found === undefined ? undefined : RunRecord.parse(found.value);
}

/** Creates the record if it is missing; returns the stored one either way. */
export async function createRun(store: Store, run: RunRecord): Promise<RunRecord> {
  try {
    await store.put(runKeys.record(run.campaignId, run.id), JSON.stringify(run), {
      ifNoneMatch: "*",
      contentType: "application/json",
    });
    return run;
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    return (await readRun(store, run.campaignId, run.id))!;
  }
}

/** Read-modify-write with If-Match, retried on a concurrent change. */
export async function updateRun(
  store: Store,
  cid: string,
  rid: string,
  change: (run: RunRecord) => RunRecord,
  now: () => Date = () => new Date(),
): Promise<RunRecord> {
  for (let attempt = 0; ; attempt++) {
    const found = await getJson(store, runKeys.record(cid, rid));
    if (found === undefined) throw new Error(`run ${cid}/${rid} has no record`);
    const next = { ...change(RunRecord.parse(found.value)), updatedAt: now().toISOString() };
    try {
      await store.put(runKeys.record(cid, rid), JSON.stringify(next), {
        ifMatch: found.etag,
        contentType: "application/json",
      });
      return next;
    } catch (error) {
      if (!isPreconditionFailed(error) || attempt >= 20) throw error;
    }
  }
}

/** Marks a step started or ended in the record's timings. */
export function stepTimed(run: RunRecord, step: string, edge: "start" | "end", at: Date): RunRecord {
  const steps = { ...run.steps };
  const current = steps[step];
  steps[step] =
    edge === "start"
      ? { startedAt: at.toISOString() }
      : { startedAt: current?.startedAt ?? at.toISOString(), endedAt: at.toISOString() };
  return { ...run, steps, ...(edge === "start" ? { step } : {}) };
}
