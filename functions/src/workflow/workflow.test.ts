// The workflow's steps against a real local store: the lock and the queue, "nothing new", the gate,
// publishing with saved_model.pb last, retention, and failures. The trainer's outputs (metrics.json,
// the exported version) are written by the test where the trainer would write them; the whole loop
// with the real trainer is test/loop/loop.test.ts.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { decodeDetectionExample } from "@boxloop/proto/example";
import { readTFRecords } from "@boxloop/proto/tfrecord";
import { parseTrainingJob } from "@boxloop/proto/training-job";
import { Campaign } from "../campaigns/schema.ts";
import { ingestImage } from "../images/ingest.ts";
import { layout } from "../layout.ts";
import { LocalStore } from "../storage/local.ts";
import type { Store } from "../storage/port.ts";
import type { WorkflowContext, WorkflowInput } from "./context.ts";
import { readRun } from "./run-record.ts";
import { type WorkflowState, workflowSteps } from "./steps.ts";
import { completeVersions } from "./versions.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "..", "shared", "datasets", "raccoon");

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "workflow-"));
  const data = new LocalStore(join(dir, "data"));
  const models = new LocalStore(join(dir, "models"));
  mkdirSync(models.root, { recursive: true });
  const started: WorkflowInput[] = [];
  let clock = Date.parse("2026-11-29T08:00:00Z");
  const ctx: WorkflowContext = {
    data,
    models,
    uri: (store, key) => join(store === "data" ? data.root : models.root, key),
    starter: {
      async start(input) {
        started.push(input);
        return { executionId: String(started.length) };
      },
    },
    now: () => {
      clock += 1000;
      return new Date(clock);
    },
    keep: 2,
  };
  const campaign = Campaign.parse({
    id: "c1",
    name: "raccoons",
    labels: ["raccoon"],
    threshold: 0.5,
    owner: "admin",
    members: [],
    retrainEvery: 3,
    schedule: null,
    heldOutFraction: 0,
    strategy: "random",
    randomFraction: 0.2,
    answersPerImage: 1,
    leaseSeconds: 600,
    modelName: "raccoons",
    createdAt: new Date(clock).toISOString(),
  });
  await data.put(layout.campaign("c1"), JSON.stringify(campaign));
  const images: Awaited<ReturnType<typeof ingestImage>>["image"][] = [];
  for (const name of ["raccoon-1.jpg", "raccoon-2.jpg", "raccoon-3.jpg", "raccoon-4.jpg"]) {
    const bytes = new Uint8Array(readFileSync(join(raccoon, "images", name)));
    images.push((await ingestImage(data, campaign, bytes, name, new Date(clock))).image);
  }
  const answer = async (i: number) => {
    const image = images[i]!;
    await data.put(
      layout.annotation("c1", image.id, "ann"),
      JSON.stringify({
        campaignId: "c1",
        imageId: image.id,
        annotator: "ann",
        answer: "accept",
        boxes: [{ label: "raccoon", x: 10, y: 20, width: 100, height: 50 }],
        modelVersion: null,
        durationMs: 1,
        fates: null,
        submittedAt: new Date(clock).toISOString(),
        by: "ann",
      }),
    );
  };
  return { ctx, data, models, started, steps: workflowSteps(ctx), answer, images };
}

/** What the trainer does: export a version under the job's exportDir and write metrics.json. */
async function train(data: Store, state: WorkflowState, AP50: number, servingAP50: number | null) {
  assert.equal(state.snapshot?.status, "ready");
  await data.flushed?.();
  const job = parseTrainingJob(JSON.parse(readFileSync((state.snapshot as { manifest: string }).manifest, "utf8")));
  const dir = join(job.exportDir, job.modelName, "1");
  mkdirSync(join(dir, "assets.extra"), { recursive: true });
  writeFileSync(join(dir, "assets.extra", "note.txt"), "x");
  writeFileSync(join(dir, "boxloop.json"), JSON.stringify({ labels: job.labels }));
  writeFileSync(join(dir, "saved_model.pb"), `model of ${job.runId}`);
  const metrics = (ap: number) => ({ AP50: ap, AP: ap / 2 });
  writeFileSync(
    job.metrics,
    JSON.stringify({
      candidate: metrics(AP50),
      serving: servingAP50 === null ? null : metrics(servingAP50),
      trainImages: 3,
      evalImages: 1,
      steps: 10,
      trainSeconds: 1,
      exported: dir,
    }),
  );
  return job;
}

async function fullRun(
  data: Store,
  steps: ReturnType<typeof workflowSteps>,
  input: WorkflowInput,
  AP50: number,
  servingAP50: number | null,
) {
  const state: WorkflowState = { ...input };
  state.snapshot = await steps.snapshot(state);
  if (state.snapshot.status !== "ready") return state;
  await train(data, state, AP50, servingAP50);
  state.evaluation = await steps.evaluate(state);
  if (state.evaluation.publish) state.publish = await steps.publish(state);
  await steps.cleanup(state);
  return state;
}

test("too few new answers end the run as nothing-new, and release the campaign", async () => {
  const { steps, answer, data } = await setup();
  await answer(0);
  const s = await steps.snapshot({ campaignId: "c1", runId: "r1", trigger: { kind: "answers", answers: 1 } });
  assert.equal(s.status, "nothing-new");
  assert.equal((await readRun(data, "c1", "r1"))!.status, "skipped");
  const again = await steps.snapshot({ campaignId: "c1", runId: "r2", trigger: { kind: "manual" } });
  assert.equal(again.status, "ready", "the campaign was released");
});

test("a snapshot writes TFRecords of the accepted answers and a job the trainer accepts", async () => {
  const { steps, answer, images, data } = await setup();
  for (const i of [0, 1, 2]) await answer(i);
  const s = await steps.snapshot({ campaignId: "c1", runId: "r1", trigger: { kind: "answers", answers: 3 } });
  assert.equal(s.status, "ready");
  await data.flushed?.();
  const job = parseTrainingJob(JSON.parse(readFileSync((s as { manifest: string }).manifest, "utf8")));
  assert.deepEqual(job.labels, ["raccoon"]);
  assert.equal(job.serving, null);
  const examples: ReturnType<typeof decodeDetectionExample>[] = [];
  for await (const record of readTFRecords(job.train)) examples.push(decodeDetectionExample(record));
  assert.equal(examples.length, 3);
  const first = examples.find((e) => e.sourceId === images[0]!.id)!;
  assert.equal(first.objects[0]!.text, "raccoon");
  assert.ok(Math.abs(first.objects[0]!.xmin - 10 / images[0]!.width) < 1e-6);
});

test("one run at a time: a second is queued once, a third is skipped, the queued one starts when the first ends", async () => {
  const { steps, answer, data, started } = await setup();
  for (const i of [0, 1, 2]) await answer(i);
  const first: WorkflowState = { campaignId: "c1", runId: "a", trigger: { kind: "manual" } };
  first.snapshot = await steps.snapshot(first);
  assert.equal(first.snapshot.status, "ready");
  const second = await steps.snapshot({ campaignId: "c1", runId: "b", trigger: { kind: "manual" } });
  const third = await steps.snapshot({ campaignId: "c1", runId: "c", trigger: { kind: "manual" } });
  assert.equal(second.status, "queued");
  assert.equal(third.status, "nothing-new");
  assert.equal((await readRun(data, "c1", "b"))!.status, "queued");
  assert.equal((await readRun(data, "c1", "c"))!.status, "skipped");
  await train(data, first, 0.5, null);
  first.evaluation = await steps.evaluate(first);
  first.publish = await steps.publish(first);
  await steps.cleanup(first);
  assert.deepEqual(started, [{ campaignId: "c1", runId: "b", trigger: { kind: "queued" } }]);
  const b = await steps.snapshot(started[0]!);
  assert.equal(b.status, "nothing-new", "no answer came after the first run's snapshot");
});

test("the gate publishes the first version, rejects a worse one, and publishes versions with saved_model.pb last", async () => {
  const { steps, answer, models, data } = await setup();
  for (const i of [0, 1, 2]) await answer(i);
  const v1 = await fullRun(data, steps, { campaignId: "c1", runId: "r1" }, 0.6, null);
  assert.deepEqual(v1.publish, { version: 1 });
  assert.deepEqual(await completeVersions(models, "raccoons"), [1]);
  assert.equal(new TextDecoder().decode((await models.get("raccoons/1/assets.extra/note.txt"))!.body), "x");
  const info = JSON.parse(new TextDecoder().decode((await models.get("raccoons/1/boxloop.json"))!.body));
  assert.equal(info.runId, "r1");
  assert.deepEqual(info.labels, ["raccoon"]);

  await answer(3);
  const worse = await fullRun(data, steps, { campaignId: "c1", runId: "r2" }, 0.4, 0.6);
  assert.equal(worse.evaluation!.publish, false);
  assert.equal(worse.publish, undefined);
  const r2 = (await readRun(data, "c1", "r2"))!;
  assert.equal(r2.status, "succeeded");
  assert.match(r2.reason!, /worse than serving/);
  assert.deepEqual(await completeVersions(models, "raccoons"), [1]);
});

test("clean up keeps the newest K versions and snapshots", async () => {
  const { steps, answer, models, data } = await setup();
  for (let i = 0; i < 4; i++) {
    await answer(i);
    await fullRun(data, steps, { campaignId: "c1", runId: `r${i}` }, 0.5 + i / 10, i === 0 ? null : 0.5);
  }
  assert.deepEqual(await completeVersions(models, "raccoons"), [3, 4]);
  const has = async (s: Store, key: string) => (await s.head(key)) !== undefined;
  assert.equal(await has(data, "campaigns/c1/runs/r0/train.tfrecord"), false);
  assert.equal(await has(data, "campaigns/c1/runs/r3/train.tfrecord"), true);
  assert.equal(await has(data, "campaigns/c1/runs/r0/run.json"), true, "run records are kept");
});

test("a failure is recorded on the run, releases the campaign and starts the queued run", async () => {
  const { steps, answer, data, started } = await setup();
  for (const i of [0, 1]) await answer(i);
  const state: WorkflowState = { campaignId: "c1", runId: "a", trigger: { kind: "manual" } };
  state.snapshot = await steps.snapshot(state);
  await steps.snapshot({ campaignId: "c1", runId: "b", trigger: { kind: "manual" } });
  const out = await steps.recordFailure({
    ...state,
    error: { Error: "States.TaskFailed", Cause: JSON.stringify({ errorMessage: "trainer exited with code 3" }) },
  });
  assert.equal(out.recorded, true);
  const run = (await readRun(data, "c1", "a"))!;
  assert.equal(run.status, "failed");
  assert.equal(run.error, "States.TaskFailed: trainer exited with code 3");
  assert.deepEqual(
    started.map((s) => s.runId),
    ["b"],
  );
  assert.equal((await steps.snapshot(started[0]!)).status, "ready", "the failed run's answers are still new");
});
