// The loop closed on one machine (issue #8's acceptance): answers through the API trigger a run of
// the synthesized state machine, the real trainer publishes a version, the model server serves it,
// and the next task carries its predictions. Then: two triggers at once, a trainer crash, a restart.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { RunRecord } from "@boxloop/functions/workflow/run-record";
import { ApiClient } from "@boxloop/local/api-client";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "@boxloop/local/stack";
import { answer, goldImages, upload } from "./oracle.ts";

const dataDir = mkdtempSync(join(tmpdir(), "boxloop-loop-"));
const gold = goldImages("train_labels.csv", 24);
const quick = "train_config { batch_size: 4 num_steps: 30 }";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(options: Partial<LocalStackOptions> = {}) {
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    grpcPort: 0,
    restPort: 0,
    pollSeconds: 0.5,
    log: () => {},
    ...options,
  });
  return { stack, api: new ApiClient(stack.url, stack.adminToken) };
}

async function runsOf(api: ApiClient, cid: string) {
  return (await api.call<{ runs: RunRecord[] }>("GET", `/campaigns/${cid}/training-runs`)).runs;
}

async function settled(stack: LocalStack, api: ApiClient, cid: string) {
  await stack.workflow.idle();
  return runsOf(api, cid);
}

async function servedVersion(stack: LocalStack, model: string, want: number) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const r = await fetch(`http://127.0.0.1:${stack.modelServer.restPort}/v1/models/${model}`);
    if (r.ok) {
      const body = (await r.json()) as { model_version_status: { version: string; state: string }[] };
      if (body.model_version_status.some((s) => s.version === String(want) && s.state === "AVAILABLE")) return;
    }
    await sleep(200);
  }
  assert.fail(`model ${model} version ${want} was not served within 20 s`);
}

test("the loop on raccoon images: answer, train, publish, serve, predict; concurrency, crash, restart", async (t) => {
  let { stack, api } = await start();
  const campaign = await api.call<{ id: string; modelName: string }>("POST", "/campaigns", {
    name: "raccoons",
    labels: ["raccoon"],
    heldOutFraction: 0.2,
    // The same images in the same order every run, so that each run's gate decides the same way.
    strategy: "sequential",
    pipelineConfig: quick,
  });
  const cid = campaign.id;
  await upload(api, cid, gold);

  await t.test(
    "answers through the API start a run that publishes version 1, and the next task carries its predictions",
    async () => {
      await answer(api, cid, gold, 16);
      const run = await api.call<RunRecord>("POST", `/campaigns/${cid}/training-runs`);
      assert.equal(run.status, "queued");
      const [done] = await settled(stack, api, cid);
      assert.equal(done!.id, run.id);
      assert.equal(done!.status, "succeeded", `${done!.error ?? ""} ${done!.reason ?? ""}`);
      assert.equal(done!.modelVersion, "1");
      for (const step of ["Snapshot", "Train", "Evaluate", "Publish", "CleanUp"])
        assert.ok(done!.steps[step]?.endedAt, `timing of ${step}`);
      assert.ok(done!.snapshot!.trainImages + done!.snapshot!.evalImages === 16);
      assert.equal(typeof done!.metrics?.AP50, "number");
      await servedVersion(stack, campaign.modelName, 1);
      const [next] = await answer(api, cid, gold, 1);
      assert.equal(next!.predictionsUnavailable, false);
      assert.equal(next!.predictions?.modelVersion, "1");
    },
  );

  await t.test("two triggers at once train once", async () => {
    await answer(api, cid, gold, 2);
    const before = (await runsOf(api, cid)).length;
    const [a, b] = await Promise.all([
      api.call<RunRecord>("POST", `/campaigns/${cid}/training-runs`),
      api.call<RunRecord>("POST", `/campaigns/${cid}/training-runs`),
    ]);
    assert.notEqual(a.id, b.id);
    const runs = await settled(stack, api, cid);
    assert.equal(runs.length, before + 2);
    const mine = runs.filter((r) => r.id === a.id || r.id === b.id);
    assert.deepEqual(mine.map((r) => r.status).sort(), ["skipped", "succeeded"]);
    assert.equal(mine.find((r) => r.status === "succeeded")!.modelVersion, "2");
    const models = await api.call<{ models: { version: string }[] }>("GET", `/campaigns/${cid}/models`);
    assert.deepEqual(
      models.models.map((m) => m.version),
      ["2", "1"],
    );
  });

  await t.test(
    "a trainer crash marks the run failed and keeps the served version; the next trigger trains",
    async () => {
      await stack.stop();
      ({ stack, api } = await start({
        trainerCommand: [process.execPath, "-e", "console.error('simulated trainer crash'); process.exit(3)", "--"],
      }));
      await answer(api, cid, gold, 2);
      const run = await api.call<RunRecord>("POST", `/campaigns/${cid}/training-runs`);
      const failed = (await settled(stack, api, cid)).find((r) => r.id === run.id)!;
      assert.equal(failed.status, "failed");
      assert.match(failed.error ?? "", /simulated trainer crash/);
      await servedVersion(stack, campaign.modelName, 2);
      assert.deepEqual(readdirSync(join(dataDir, "models", campaign.modelName)).sort(), ["1", "2"]);

      await stack.stop();
      ({ stack, api } = await start());
      const retry = await api.call<RunRecord>("POST", `/campaigns/${cid}/training-runs`);
      const done = (await settled(stack, api, cid)).find((r) => r.id === retry.id)!;
      assert.equal(done.status, "succeeded", done.error);
      assert.equal(done.modelVersion, "3");
    },
  );

  await t.test("a restart keeps every answer and model, and marks the interrupted run failed", async () => {
    const answersDir = join(dataDir, "data", "campaigns", cid, "annotations");
    const snapshotOf = () =>
      readdirSync(answersDir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => `${e.name}:${readFileSync(join(e.parentPath, e.name), "utf8")}`)
        .sort();
    await stack.stop();
    ({ stack, api } = await start({ trainerCommand: [process.execPath, "-e", "setTimeout(() => {}, 120000)", "--"] }));
    await answer(api, cid, gold, 1);
    await stack.data.flushed();
    const before = snapshotOf();
    const run = await api.call<RunRecord>("POST", `/campaigns/${cid}/training-runs`);
    while ((await api.call<RunRecord>("GET", `/campaigns/${cid}/training-runs/${run.id}`)).steps.Train === undefined)
      await sleep(100);
    await stack.stop();
    ({ stack, api } = await start());
    await stack.data.flushed();
    assert.deepEqual(snapshotOf(), before);
    const interrupted = await api.call<RunRecord>("GET", `/campaigns/${cid}/training-runs/${run.id}`);
    assert.equal(interrupted.status, "failed");
    assert.match(interrupted.error ?? "", /interrupted/);
    const models = await api.call<{ models: { version: string }[] }>("GET", `/campaigns/${cid}/models`);
    assert.deepEqual(
      models.models.map((m) => m.version),
      ["3", "2", "1"],
    );
    await servedVersion(stack, campaign.modelName, 3);
  });

  await stack.stop();
});
