// Publish: the trainer's export becomes the next integer version under models/<model>/. The
// version is reserved by creating its boxloop.json (If-None-Match: *), every other file follows,
// and saved_model.pb goes last: TF Serving (or its sync sidecar) never loads a partial version.
import { getJson, isPreconditionFailed, listAll, type Store } from "../storage/port.ts";
import type { WorkflowContext } from "./context.ts";
import { runKeys, stepTimed, updateRun } from "./run-record.ts";
import { allVersions } from "./versions.ts";

/** The newest complete export under `prefix` (`<prefix><n>/saved_model.pb`). */
async function exportedVersion(store: Store, prefix: string): Promise<string | undefined> {
  let best: number | undefined;
  for await (const item of listAll(store, prefix)) {
    const [version, file] = item.key.slice(prefix.length).split("/");
    if (file === "saved_model.pb" && /^\d+$/.test(version!)) best = Math.max(best ?? 0, Number(version));
  }
  return best === undefined ? undefined : `${prefix}${best}/`;
}

/** Copies a complete version directory from one store into the next free version of `modelName`. */
export async function publishVersion(
  from: Store,
  source: string,
  models: Store,
  modelName: string,
  info: Record<string, unknown>,
): Promise<number> {
  const files: string[] = [];
  for await (const item of listAll(from, source)) files.push(item.key.slice(source.length));
  if (!files.includes("saved_model.pb")) throw new Error(`${source} has no saved_model.pb`);
  const exported = ((await getJson(from, `${source}boxloop.json`))?.value ?? {}) as Record<string, unknown>;
  let version = ((await allVersions(models, modelName)).at(-1) ?? 0) + 1;
  for (; ; version++) {
    try {
      await models.put(
        `${modelName}/${version}/boxloop.json`,
        JSON.stringify({ ...exported, ...info, version }, null, 2),
        {
          ifNoneMatch: "*",
          contentType: "application/json",
        },
      );
      break;
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }
  const copy = async (file: string) => {
    const object = await from.get(`${source}${file}`);
    if (object === undefined) throw new Error(`${source}${file} vanished while publishing`);
    await models.put(`${modelName}/${version}/${file}`, object.body);
  };
  for (const file of files.filter((f) => f !== "boxloop.json" && f !== "saved_model.pb")) await copy(file);
  await models.flushed?.();
  await copy("saved_model.pb");
  await models.flushed?.();
  return version;
}

export async function publish(ctx: WorkflowContext, cid: string, runId: string, modelName: string) {
  const at = ctx.now();
  const source = await exportedVersion(ctx.data, `${runKeys.export(cid, runId)}/${modelName}/`);
  if (source === undefined) throw new Error(`run ${runId} exported no complete SavedModel`);
  const run = await updateRun(ctx.data, cid, runId, (r) => stepTimed(r, "Publish", "start", at), ctx.now);
  const version = await publishVersion(ctx.data, source, ctx.models, modelName, {
    campaignId: cid,
    runId,
    createdAt: at.toISOString(),
    metrics: run.metrics ?? {},
    ...(run.prCurve ? { prCurve: run.prCurve } : {}),
    annotatedImages: (run.snapshot?.trainImages ?? 0) + (run.snapshot?.evalImages ?? 0),
  });
  await updateRun(
    ctx.data,
    cid,
    runId,
    (r) => ({ ...stepTimed(r, "Publish", "end", ctx.now()), modelVersion: String(version) }),
    ctx.now,
  );
  return { version };
}
