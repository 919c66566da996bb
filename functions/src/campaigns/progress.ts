// A campaign's progress, from the in-memory view (at most `indexTtlMs` old).
import { z } from "@hono/zod-openapi";
import { answeredAt, type CampaignIndex, leaseUntil } from "../tasks/campaign-index.ts";
import { ModelVersion } from "../training/port.ts";

export const Progress = z
  .object({
    images: z.object({
      total: z.int(),
      annotated: z.int(),
      leased: z.int(),
      skipped: z.int(),
      rejected: z.int(),
      remaining: z.int(),
    }),
    answers: z.object({
      total: z.int(),
      perAnnotator: z.record(z.string(), z.int()),
      lastHour: z.int(),
      /** Answers per hour over the last 24 hours, oldest first. */
      perHour: z.array(z.int()),
      /** Per hour (as perHour): how many suggested boxes were accepted, moved, relabelled, deleted, and boxes added. */
      fatesPerHour: z.array(z.record(z.string(), z.int())),
    }),
    model: ModelVersion.nullable(),
  })
  .openapi("Progress");
export type Progress = z.infer<typeof Progress>;

export function progress(
  index: CampaignIndex,
  answersPerImage: number,
  nowMs: number,
  model: ModelVersion | null,
): Progress {
  let annotated = 0;
  let leased = 0;
  let skipped = 0;
  let rejected = 0;
  let remaining = 0;
  let total = 0;
  const perAnnotator: Record<string, number> = {};
  const perHour = new Array<number>(24).fill(0);
  const fatesPerHour = Array.from(
    { length: 24 },
    () => ({ accepted: 0, moved: 0, relabelled: 0, deleted: 0, added: 0 }) as Record<string, number>,
  );
  for (const state of index.images.values()) {
    const kinds = state.answers.map((a) => a.answer);
    if (kinds.includes("accept")) annotated++;
    else if (kinds.includes("reject")) rejected++;
    else if (kinds.length > 0) skipped++;
    if (leaseUntil(state) > nowMs) leased++;
    if (state.answers.length < answersPerImage) remaining++;
    for (const note of state.answers) {
      total++;
      perAnnotator[note.annotator] = (perAnnotator[note.annotator] ?? 0) + 1;
      const hoursAgo = Math.floor((nowMs - answeredAt(note)) / 3_600_000);
      if (hoursAgo >= 0 && hoursAgo < 24) {
        perHour[23 - hoursAgo]!++;
        const hour = fatesPerHour[23 - hoursAgo]!;
        for (const [fate, n] of Object.entries(note.fates ?? {})) hour[fate] = (hour[fate] ?? 0) + n;
      }
    }
  }
  return {
    images: { total: index.images.size, annotated, leased, skipped, rejected, remaining },
    answers: { total, perAnnotator, lastHour: perHour[23]!, perHour, fatesPerHour },
    model,
  };
}
