// A campaign: what is labelled, by whom, and how the loop retrains. Stored as campaign.json.
import { z } from "@hono/zod-openapi";
import { Id } from "../ids.ts";
import { parseSchedule } from "../schedule/cron.ts";

export const strategies = ["uncertain", "random", "sequential"] as const;

const Label = z
  .string()
  .min(1)
  .max(100)
  .regex(/^\S(.*\S)?$/, "no leading or trailing spaces");

/** EventBridge Scheduler's syntax, `cron(m h dom mon dow year)` or `rate(n unit)`: the same in AWS and locally. */
const Schedule = z
  .string()
  .max(200)
  .superRefine((value, ctx) => {
    try {
      parseSchedule(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  });

export const Member = z.strictObject({ id: Id, role: z.enum(["annotator", "reviewer"]) });

const settings = {
  name: z.string().min(1).max(200),
  labels: z
    .array(Label)
    .min(1)
    .max(1000)
    .refine((labels) => new Set(labels).size === labels.length, "labels must be unique"),
  threshold: z.number().min(0).max(1),
  members: z.array(Member).max(10_000),
  pipelineConfig: z.string().max(1_000_000),
  retrainEvery: z.int().min(0).max(1_000_000),
  schedule: Schedule.nullable(),
  heldOutFraction: z.number().min(0).max(0.9),
  strategy: z.enum(strategies),
  randomFraction: z.number().min(0).max(1),
  answersPerImage: z.int().min(1).max(100),
  leaseSeconds: z.int().min(5).max(86_400),
};

export const CampaignInput = z
  .strictObject({
    id: Id.optional(),
    name: settings.name,
    labels: settings.labels,
    threshold: settings.threshold.default(0.5),
    members: settings.members.default([]),
    pipelineConfig: settings.pipelineConfig.optional(),
    retrainEvery: settings.retrainEvery.default(0),
    schedule: settings.schedule.default(null),
    heldOutFraction: settings.heldOutFraction.default(0.2),
    strategy: settings.strategy.default("uncertain"),
    randomFraction: settings.randomFraction.default(0.2),
    answersPerImage: settings.answersPerImage.default(1),
    leaseSeconds: settings.leaseSeconds.default(600),
    modelName: Id.optional(),
  })
  .openapi("CampaignInput");

export const CampaignPatch = z
  .strictObject({
    name: settings.name,
    labels: settings.labels,
    threshold: settings.threshold,
    members: settings.members,
    pipelineConfig: settings.pipelineConfig,
    retrainEvery: settings.retrainEvery,
    schedule: settings.schedule,
    heldOutFraction: settings.heldOutFraction,
    strategy: settings.strategy,
    randomFraction: settings.randomFraction,
    answersPerImage: settings.answersPerImage,
    leaseSeconds: settings.leaseSeconds,
  })
  .partial()
  .openapi("CampaignPatch");

export const Campaign = z
  .object({
    id: Id,
    name: settings.name,
    labels: z.array(z.string()),
    threshold: settings.threshold,
    owner: z.string(),
    members: settings.members,
    pipelineConfig: z.string().optional(),
    retrainEvery: settings.retrainEvery,
    schedule: settings.schedule,
    heldOutFraction: settings.heldOutFraction,
    strategy: settings.strategy,
    randomFraction: settings.randomFraction,
    answersPerImage: settings.answersPerImage,
    leaseSeconds: settings.leaseSeconds,
    modelName: Id,
    createdAt: z.string(),
  })
  .openapi("Campaign");

export type Campaign = z.infer<typeof Campaign>;
