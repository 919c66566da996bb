// A plain TrainingRuns and Models over storage: runs are recorded (queued) and nothing trains them.
// Tests use it; the workflow replaces it. Models live as the models bucket lays them out:
// `<model-name>/<version>/boxloop.json`, and `<model-name>/serving.json` names the promoted version.
import { randomUUID } from "node:crypto";
import { z } from "@hono/zod-openapi";
import { layout } from "../layout.ts";
import { getJson, isPreconditionFailed, listAll, type Store } from "../storage/port.ts";
import { type Models, type ModelVersion, TrainingRun, type TrainingRuns } from "./port.ts";

export function storedTrainingRuns(store: Store, now: () => number = Date.now): TrainingRuns {
  return {
    async start(campaignId, trigger) {
      const id =
        trigger.kind === "answers" && trigger.answers !== undefined
          ? `auto-${trigger.answers}`
          : `run-${now()}-${randomUUID().slice(0, 8)}`;
      const at = new Date(now()).toISOString();
      const run: TrainingRun = { id, campaignId, trigger, status: "queued", createdAt: at, updatedAt: at };
      try {
        await store.put(layout.run(campaignId, id), JSON.stringify(run), { ifNoneMatch: "*" });
        return run;
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error;
        return TrainingRun.parse((await getJson(store, layout.run(campaignId, id)))!.value);
      }
    },
    async list(campaignId) {
      const runs: TrainingRun[] = [];
      for await (const item of listAll(store, layout.runs(campaignId))) {
        if (!item.key.endsWith("/manifest.json")) continue;
        const found = await getJson(store, item.key);
        const parsed = TrainingRun.safeParse(found?.value);
        if (parsed.success) runs.push(parsed.data);
      }
      return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
    async get(campaignId, runId) {
      const found = await getJson(store, layout.run(campaignId, runId));
      const parsed = TrainingRun.safeParse(found?.value);
      return parsed.success ? parsed.data : undefined;
    },
  };
}

const Info = z.object({
  createdAt: z.string().optional(),
  runId: z.string().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
});

/** `modelName(campaignId)` maps a campaign to its model's folder (by default the campaign id). */
export function storedModels(models: Store, modelName: (campaignId: string) => string = (c) => c): Models {
  const serving = async (name: string) => {
    const found = await getJson(models, `${name}/serving.json`);
    const v = (found?.value as { version?: unknown } | undefined)?.version;
    return typeof v === "string" ? v : undefined;
  };
  const list = async (campaignId: string): Promise<ModelVersion[]> => {
    const name = modelName(campaignId);
    const versions = new Map<string, ModelVersion>();
    for await (const item of listAll(models, `${name}/`)) {
      const [, version, file] = item.key.split("/");
      if (version === undefined || !/^\d+$/.test(version)) continue;
      if (file === "saved_model.pb" && !versions.has(version))
        versions.set(version, { version, createdAt: item.lastModified.toISOString(), metrics: {}, serving: false });
      if (file === "boxloop.json") {
        const info = Info.safeParse((await getJson(models, item.key))?.value);
        const entry = versions.get(version) ?? {
          version,
          createdAt: item.lastModified.toISOString(),
          metrics: {},
          serving: false,
        };
        if (info.success) {
          if (info.data.createdAt !== undefined) entry.createdAt = info.data.createdAt;
          if (info.data.runId !== undefined) entry.runId = info.data.runId;
          entry.metrics = info.data.metrics ?? {};
        }
        versions.set(version, entry);
      }
    }
    const sorted = [...versions.values()].sort((a, b) => Number(b.version) - Number(a.version));
    const promoted = (await serving(name)) ?? sorted[0]?.version;
    for (const v of sorted) v.serving = v.version === promoted;
    return sorted;
  };
  return {
    list,
    async promote(campaignId, version) {
      const found = (await list(campaignId)).find((v) => v.version === version);
      if (found === undefined) return undefined;
      await models.put(`${modelName(campaignId)}/serving.json`, JSON.stringify({ version }));
      return { ...found, serving: true };
    },
  };
}
