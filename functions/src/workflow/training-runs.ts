// The API's TrainingRuns and Models over the workflow: a run is recorded, then one execution of the
// state machine is started for it (Step Functions in AWS, the local runner on one machine).
// Promoting an old version republishes it as the newest, so TF Serving's default "latest" policy
// serves it everywhere with no config change (and rolling back is promoting the older one).
import { randomUUID } from "node:crypto";
import { z } from "@hono/zod-openapi";
import { Campaign } from "../campaigns/schema.ts";
import { layout } from "../layout.ts";
import { getJson, listAll, type Store } from "../storage/port.ts";
import type { Models, ModelVersion, TrainingRun, TrainingRuns } from "../training/port.ts";
import type { WorkflowStarter } from "./context.ts";
import { publishVersion } from "./publish.ts";
import { createRun, RunRecord, readRun, runKeys } from "./run-record.ts";
import { completeVersions } from "./versions.ts";

export function workflowTrainingRuns(
  data: Store,
  starter: WorkflowStarter,
  now: () => Date = () => new Date(),
): TrainingRuns {
  return {
    async start(campaignId, trigger) {
      const at = now();
      const id =
        trigger.kind === "answers" && trigger.answers !== undefined
          ? `auto-${trigger.answers}`
          : `run-${at.getTime()}-${randomUUID().slice(0, 8)}`;
      const record = RunRecord.parse({
        id,
        campaignId,
        trigger,
        status: "queued",
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
      });
      const stored = await createRun(data, record);
      if (stored.createdAt === record.createdAt && stored.updatedAt === record.updatedAt) {
        await starter.start({ campaignId, runId: id, trigger });
      }
      return (await readRun(data, campaignId, id)) ?? stored;
    },
    async list(campaignId) {
      const runs: TrainingRun[] = [];
      const prefix = runKeys.runs(campaignId);
      for await (const item of listAll(data, prefix)) {
        if (!item.key.endsWith("/run.json")) continue;
        const parsed = RunRecord.safeParse((await getJson(data, item.key))?.value);
        if (parsed.success) runs.push(parsed.data);
      }
      return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
    get: (campaignId, runId) => readRun(data, campaignId, runId),
  };
}

const VersionInfo = z.object({
  createdAt: z.string().optional(),
  runId: z.string().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  annotatedImages: z.number().optional(),
  promotedFrom: z.number().optional(),
  prCurve: z.array(z.object({ recall: z.number(), precision: z.number() })).optional(),
});

export function workflowModels(data: Store, models: Store): Models {
  const modelName = async (campaignId: string) => {
    const found = await getJson(data, layout.campaign(campaignId));
    return found === undefined ? campaignId : Campaign.parse(found.value).modelName;
  };
  const list = async (campaignId: string): Promise<ModelVersion[]> => {
    const name = await modelName(campaignId);
    const versions = await completeVersions(models, name);
    const out: ModelVersion[] = [];
    for (const v of versions.reverse()) {
      const info = VersionInfo.safeParse((await getJson(models, `${name}/${v}/boxloop.json`))?.value);
      const meta = info.success ? info.data : {};
      out.push({
        version: String(v),
        createdAt: meta.createdAt ?? "",
        ...(meta.runId ? { runId: meta.runId } : {}),
        metrics: meta.metrics ?? {},
        serving: out.length === 0,
        ...(meta.annotatedImages !== undefined ? { annotatedImages: meta.annotatedImages } : {}),
        ...(meta.promotedFrom !== undefined ? { promotedFrom: meta.promotedFrom } : {}),
        ...(meta.prCurve ? { prCurve: meta.prCurve } : {}),
      });
    }
    return out;
  };
  return {
    list,
    async promote(campaignId, version) {
      const name = await modelName(campaignId);
      if (!(await completeVersions(models, name)).includes(Number(version))) return undefined;
      const info = VersionInfo.safeParse((await getJson(models, `${name}/${version}/boxloop.json`))?.value);
      const published = await publishVersion(models, `${name}/${version}/`, models, name, {
        promotedFrom: Number(version),
        createdAt: new Date().toISOString(),
        metrics: info.success ? (info.data.metrics ?? {}) : {},
      });
      return (await list(campaignId)).find((v) => v.version === String(published));
    },
  };
}
