// An annotator's answer for one image, as PUT by the client and as stored.
import { z } from "@hono/zod-openapi";

const coordinate = z.number().min(-1e6).max(1e6);

export const Box = z
  .strictObject({
    label: z.string().min(1).max(100),
    x: coordinate,
    y: coordinate,
    width: z.number().positive().max(1e6),
    height: z.number().positive().max(1e6),
  })
  .openapi("Box");
export type Box = z.infer<typeof Box>;

export const AnswerInput = z
  .strictObject({
    answer: z.enum(["accept", "reject", "ignore"]),
    boxes: z.array(Box).max(1000),
    modelVersion: z.string().min(1).max(64).nullable(),
    durationMs: z.number().min(0).max(86_400_000),
    /** Flagged for review by the annotator (the page's `f` key). */
    flagged: z.boolean().optional(),
  })
  .openapi("AnswerInput");
export type AnswerInput = z.infer<typeof AnswerInput>;

export const Fate = z
  .object({
    fate: z.enum(["accepted", "moved", "relabelled", "deleted", "added"]),
    /** Index into the predictions shown (absent for `added`). */
    predicted: z.int().optional(),
    /** Index into the answer's boxes (absent for `deleted`). */
    box: z.int().optional(),
    iou: z.number().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
  })
  .openapi("Fate");
export type Fate = z.infer<typeof Fate>;

export const Annotation = z
  .object({
    campaignId: z.string(),
    imageId: z.string(),
    annotator: z.string(),
    answer: AnswerInput.shape.answer,
    boxes: z.array(Box),
    modelVersion: z.string().nullable(),
    durationMs: z.number(),
    /** What became of each predicted box shown; null when the predictions shown are not known. */
    fates: z.array(Fate).nullable(),
    flagged: z.boolean().optional(),
    submittedAt: z.string(),
    by: z.string(),
  })
  .openapi("Annotation");
export type Annotation = z.infer<typeof Annotation>;
