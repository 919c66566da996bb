// What the API needs from the training loop. The workflow (workflow/, Step Functions in AWS, the
// local runner on one machine) implements it; `stored.ts` is a plain implementation over storage.
import { z } from "@hono/zod-openapi";

export const Trigger = z
  .object({
    kind: z.enum(["manual", "answers", "schedule"]),
    /** Who started it (manual). */
    by: z.string().optional(),
    /** The answer count that triggered it (answers): runs are deduplicated by it. */
    answers: z.int().optional(),
  })
  .openapi("Trigger");
export type Trigger = z.infer<typeof Trigger>;

export const TrainingRun = z
  .object({
    id: z.string(),
    campaignId: z.string(),
    trigger: Trigger,
    status: z.enum(["queued", "running", "succeeded", "failed", "skipped"]),
    createdAt: z.string(),
    updatedAt: z.string(),
    step: z.string().optional(),
    error: z.string().optional(),
    modelVersion: z.string().optional(),
    metrics: z.record(z.string(), z.number()).optional(),
  })
  .openapi("TrainingRun");
export type TrainingRun = z.infer<typeof TrainingRun>;

export const ModelVersion = z
  .object({
    version: z.string(),
    createdAt: z.string(),
    runId: z.string().optional(),
    metrics: z.record(z.string(), z.number()),
    serving: z.boolean(),
    /** Images (train + held-out) in the snapshot it was trained on: the learning curve's x. */
    annotatedImages: z.number().optional(),
    /** Set when this version republishes an older one (promote / roll back). */
    promotedFrom: z.number().optional(),
    /** Precision-recall at IoU 0.5 on the held-out images. */
    prCurve: z.array(z.object({ recall: z.number(), precision: z.number() })).optional(),
  })
  .openapi("ModelVersion");
export type ModelVersion = z.infer<typeof ModelVersion>;

export interface TrainingRuns {
  /** Starts (or, for a repeated answers trigger, returns the existing) run. */
  start(campaignId: string, trigger: Trigger): Promise<TrainingRun>;
  list(campaignId: string): Promise<TrainingRun[]>;
  get(campaignId: string, runId: string): Promise<TrainingRun | undefined>;
}

export interface Models {
  /** Newest first. */
  list(campaignId: string): Promise<ModelVersion[]>;
  /** Makes `version` the one served; undefined when there is no such version. */
  promote(campaignId: string, version: string): Promise<ModelVersion | undefined>;
}
