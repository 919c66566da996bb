// Snapshot: the campaign's accepted answers become train and held-out TFRecords plus the job
// manifest the trainer runs. It takes the campaign's training lock first (one run at a time; a
// second request is queued once), and stops early with "nothing-new" when too few answers are new.
import { createHash, randomUUID } from "node:crypto";
import { type DetectionExample, encodeDetectionExample } from "@boxloop/proto/example";
import { frameRecord } from "@boxloop/proto/tfrecord";
import type { TrainingJob } from "@boxloop/proto/training-job";
import { labelledImages } from "../annotations/dataset.ts";
import { Campaign } from "../campaigns/schema.ts";
import { layout } from "../layout.ts";
import { getJson, listAll } from "../storage/port.ts";
import type { WorkflowContext, WorkflowInput } from "./context.ts";
import { finish } from "./finish.ts";
import { acquire, enqueue } from "./lock.ts";
import { createRun, RunRecord, runKeys, stepTimed, updateRun } from "./run-record.ts";
import { servingVersion } from "./versions.ts";

export type SnapshotResult =
  | { status: "ready"; runId: string; modelName: string; manifest: string; trainImages: number; evalImages: number }
  | { status: "nothing-new" | "queued"; runId: string; reason: string };

export async function snapshot(ctx: WorkflowContext, input: WorkflowInput): Promise<SnapshotResult> {
  const cid = input.campaignId;
  const found = await getJson(ctx.data, layout.campaign(cid));
  if (found === undefined) throw new Error(`campaign ${cid} not found`);
  const campaign = Campaign.parse(found.value);
  const now = ctx.now();
  const runId = input.runId ?? `run-${now.getTime()}-${randomUUID().slice(0, 8)}`;
  const trigger = input.trigger ?? { kind: "manual" as const };
  await createRun(
    ctx.data,
    RunRecord.parse({
      id: runId,
      campaignId: cid,
      trigger: { ...trigger, kind: trigger.kind === "queued" ? "manual" : trigger.kind },
      status: "running",
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    }),
  );
  const end = (status: "skipped" | "queued", reason: string) =>
    updateRun(
      ctx.data,
      cid,
      runId,
      (run) => ({ ...stepTimed(run, "Snapshot", "end", ctx.now()), status, reason }),
      ctx.now,
    );
  await updateRun(
    ctx.data,
    cid,
    runId,
    (run) => ({ ...stepTimed(run, "Snapshot", "start", now), status: "running" }),
    ctx.now,
  );

  const active = await acquire(ctx.data, cid, runId, now);
  if (active !== undefined) {
    const queued = await enqueue(ctx.data, cid, runId, now);
    if (queued === undefined) {
      await end("queued", `waiting for run ${active}`);
      return { status: "queued", runId, reason: `waiting for run ${active}` };
    }
    const reason = queued === runId ? `waiting for run ${active}` : `run ${queued} is already queued behind ${active}`;
    await end(queued === runId ? "queued" : "skipped", reason);
    return { status: queued === runId ? "queued" : "nothing-new", runId, reason };
  }

  const last = (await getJson(ctx.data, runKeys.lastSnapshot(cid)))?.value as { at?: string } | undefined;
  const since = last?.at === undefined ? 0 : Date.parse(last.at);
  // New answers are judged by the store's own clock (lastModified), never the caller's.
  let newAnswers = 0;
  let answersUpTo = since;
  for await (const item of listAll(ctx.data, layout.annotations(cid))) {
    const modified = item.lastModified.getTime();
    if (modified > since) newAnswers++;
    answersUpTo = Math.max(answersUpTo, modified);
  }
  const needed = trigger.kind === "answers" ? Math.max(1, campaign.retrainEvery) : 1;
  if (newAnswers < needed) {
    const reason = `${newAnswers} new answer(s) since the last snapshot; ${needed} needed`;
    await end("skipped", reason);
    await finish(ctx, cid, runId);
    return { status: "nothing-new", runId, reason };
  }

  const labelId = new Map(campaign.labels.map((label, i) => [label, i + 1]));
  const records = { train: [] as Uint8Array[], eval: [] as Uint8Array[] };
  for await (const { image, fileName, boxes } of labelledImages(ctx.data, campaign)) {
    const bytes = await ctx.data.get(layout.imageBytes(cid, image.id, image.ext));
    if (bytes === undefined) continue;
    const example: DetectionExample = {
      filename: fileName,
      sourceId: image.id,
      encoded: bytes.body,
      format: image.ext === "jpg" ? "jpeg" : image.ext,
      width: image.width,
      height: image.height,
      objects: boxes
        .filter((b) => labelId.has(b.label))
        .map((b) => ({
          xmin: b.x / image.width,
          ymin: b.y / image.height,
          xmax: (b.x + b.width) / image.width,
          ymax: (b.y + b.height) / image.height,
          label: labelId.get(b.label)!,
          text: b.label,
        })),
    };
    records[image.split].push(frameRecord(encodeDetectionExample(example)));
  }
  if (records.train.length === 0) {
    await end("skipped", "no accepted answers on training images yet");
    await finish(ctx, cid, runId);
    return { status: "nothing-new", runId, reason: "no accepted answers on training images yet" };
  }

  const hash = createHash("sha256");
  for (const split of ["train", "eval"] as const) {
    const body = Buffer.concat(records[split]);
    hash.update(body);
    await ctx.data.put(runKeys[split](cid, runId), body);
  }
  const serving = await servingVersion(ctx.models, campaign.modelName);
  const job: TrainingJob = {
    version: 1,
    campaignId: cid,
    runId,
    modelName: campaign.modelName,
    labels: campaign.labels,
    ...(campaign.pipelineConfig ? { pipelineConfig: campaign.pipelineConfig } : {}),
    train: ctx.uri("data", runKeys.train(cid, runId)),
    eval: ctx.uri("data", runKeys.eval(cid, runId)),
    modelDir: ctx.uri("data", runKeys.checkpoints(cid)),
    exportDir: ctx.uri("data", runKeys.export(cid, runId)),
    serving: serving === undefined ? null : ctx.uri("models", `${campaign.modelName}/${serving}`),
    metrics: ctx.uri("data", runKeys.metrics(cid, runId)),
    tensorboardDir: ctx.uri("data", runKeys.tensorboard(cid)),
    dataHash: hash.digest("hex"),
  };
  await ctx.data.put(runKeys.manifest(cid, runId), JSON.stringify(job, null, 2), { contentType: "application/json" });
  const snapshotInfo = {
    trainImages: records.train.length,
    evalImages: records.eval.length,
    newAnswers,
    answersUpTo: new Date(answersUpTo).toISOString(),
  };
  await updateRun(
    ctx.data,
    cid,
    runId,
    (run) =>
      stepTimed(
        { ...stepTimed(run, "Snapshot", "end", ctx.now()), snapshot: snapshotInfo },
        "Train",
        "start",
        ctx.now(),
      ),
    ctx.now,
  );
  return {
    status: "ready",
    runId,
    modelName: campaign.modelName,
    manifest: ctx.uri("data", runKeys.manifest(cid, runId)),
    ...snapshotInfo,
  };
}
