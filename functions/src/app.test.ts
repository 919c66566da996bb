// The API in-process (app.request) over a real local store: the main paths end to end.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Predictor } from "./predictions/port.ts";
import { harness } from "./testing/harness.ts";
import { png } from "./testing/png.ts";

let failPredictions = false;
const predictor: Predictor = {
  currentVersion: async () => "3",
  predict: async ({ imageId, width, height }) => {
    if (failPredictions) throw new Error("model server down");
    const score = (Number.parseInt(imageId.slice(0, 4), 16) % 100) / 100;
    return {
      modelVersion: "3",
      boxes: [
        { label: "cat", x: 2, y: 2, width: width / 2, height: height / 2, score: Math.max(score, 0.6) },
        { label: "dog", x: width / 2, y: height / 2, width: 4, height: 4, score: 0.9 },
      ],
    };
  },
};
const h = harness({ predictor });
after(() => h.close());

async function json(res: Response | Promise<Response>, status: number) {
  const r = await res;
  const text = await r.text();
  assert.equal(r.status, status, text);
  return text === "" ? undefined : JSON.parse(text);
}

async function upload(cid: string, bytes: Uint8Array<ArrayBuffer>, fileName: string) {
  const start = await json(h.call("POST", `/campaigns/${cid}/images`, { fileName, contentType: "image/png" }), 201);
  const put = await h.app.request(start.uploadUrl, { method: "PUT", body: new Blob([bytes]) });
  assert.equal(put.status, 200);
  return json(h.call("POST", `/campaigns/${cid}/uploads/${start.uploadId}:confirm`, { fileName }), 200);
}

let annotatorToken = "";

test("campaigns: create, read with progress, refuse a duplicate id", async () => {
  const created = await json(
    h.call("POST", "/campaigns", {
      id: "pets",
      name: "Pets",
      labels: ["cat", "dog"],
      members: [{ id: "ann", role: "annotator" }],
      threshold: 0.5,
    }),
    201,
  );
  assert.equal(created.owner, "admin");
  assert.equal(created.strategy, "uncertain");
  await json(h.call("POST", "/campaigns", { id: "pets", name: "Again", labels: ["x"] }), 409);
  await json(h.call("POST", "/campaigns", { id: "other", name: "Other", labels: ["x"] }), 201);
  annotatorToken = (await json(h.call("POST", "/tokens", { subject: "ann" }), 201)).token;
  const list = await json(h.call("GET", "/campaigns", undefined, { token: annotatorToken }), 200);
  assert.deepEqual(
    list.campaigns.map((c: { id: string }) => c.id),
    ["pets"],
  );
  const other = await json(h.call("GET", "/campaigns/other", undefined, { token: annotatorToken }), 403);
  assert.equal(other.error.field, "authorization");
});

test("images: presigned upload, size from the file, duplicates by content", async () => {
  const first = await upload("pets", png(40, 30, 1), "a.png");
  assert.equal(first.duplicate, false);
  assert.equal(first.image.width, 40);
  assert.equal(first.image.height, 30);
  const again = await upload("pets", png(40, 30, 1), "copy.png");
  assert.equal(again.duplicate, true);
  assert.equal(again.image.id, first.image.id);
  for (let i = 2; i <= 4; i++) await upload("pets", png(40, 30, i), `${i}.png`);
  const bad = await h.call("POST", "/campaigns/pets/images", { fileName: "x.png", contentType: "image/png" });
  const { uploadUrl, uploadId } = await bad.json();
  await h.app.request(uploadUrl, { method: "PUT", body: new TextEncoder().encode("not an image") });
  const refused = await json(h.call("POST", `/campaigns/pets/uploads/${uploadId}:confirm`), 422);
  assert.equal(refused.error.field, "file");
  const progress = (await json(h.call("GET", "/campaigns/pets"), 200)).progress;
  assert.equal(progress.images.total, 4);
});

test("tasks and answers: lease, predictions, fates, progress, no second lease, If-Match", async () => {
  const task = await json(
    h.call("POST", "/campaigns/pets/tasks:next", { annotator: "ann" }, { token: annotatorToken }),
    200,
  );
  assert.equal(task.predictionsUnavailable, false);
  assert.equal(task.predictions.modelVersion, "3");
  assert.ok(task.predictions.boxes.every((b: { score: number }) => b.score >= 0.5));
  assert.deepEqual(
    Object.keys(task.image).sort(),
    ["addedAt", "bytes", "contentType", "ext", "fileName", "height", "id", "sha256", "split", "url", "width"],
    "the image's record and URL, nothing of the campaign view",
  );
  const img = await h.app.request(task.image.url);
  assert.equal(img.status, 200);
  assert.equal((await img.arrayBuffer()).byteLength, task.image.bytes);
  // annotators cannot act as someone else
  await json(h.call("POST", "/campaigns/pets/tasks:next", { annotator: "bob" }, { token: annotatorToken }), 403);
  const [cat, dog] = task.predictions.boxes;
  const body = {
    answer: "accept",
    modelVersion: "3",
    durationMs: 1200,
    boxes: [
      { ...cat, score: undefined, label: "cat" },
      { label: "cat", x: dog.x, y: dog.y, width: dog.width, height: dog.height },
      { label: "dog", x: 30, y: -5, width: 100, height: 10 },
    ].map(({ label, x, y, width, height }) => ({ label, x, y, width, height })),
  };
  const path = `/campaigns/pets/images/${task.image.id}/annotations/ann`;
  const res = await h.call("PUT", path, body, { token: annotatorToken });
  const stored = await json(res, 200);
  const etag = res.headers.get("etag")!;
  assert.ok(etag);
  assert.deepEqual(stored.boxes[2], { label: "dog", x: 30, y: 0, width: 10, height: 5 }, "clipped to 40×30");
  assert.deepEqual(
    stored.fates.map((f: { fate: string }) => f.fate),
    ["accepted", "relabelled", "added"],
  );
  // idempotent: the same PUT again is fine; a stale If-Match is refused, the current one accepted
  const again = await h.call("PUT", path, body, { token: annotatorToken });
  assert.equal(again.status, 200);
  const stale = await json(h.call("PUT", path, body, { token: annotatorToken, headers: { "if-match": etag } }), 412);
  assert.equal(stale.error.field, "if-match");
  await json(
    h.call("PUT", path, body, { token: annotatorToken, headers: { "if-match": again.headers.get("etag")! } }),
    200,
  );
  const read = await h.call("GET", path, undefined, { token: annotatorToken });
  assert.equal(read.status, 200);
  const flagged = await json(h.call("PUT", path, { ...body, flagged: true }, { token: annotatorToken }), 200);
  assert.equal(flagged.flagged, true, "the f key's flag is stored with the answer");
  assert.equal((await json(h.call("PUT", path, body, { token: annotatorToken }), 200)).flagged, undefined);
  assert.deepEqual(await json(h.call("GET", "/me", undefined, { token: annotatorToken }), 200), {
    subject: "ann",
    role: "annotator",
  });
  assert.deepEqual(await json(h.call("GET", "/me"), 200), { subject: "admin", role: "admin" });
  // the annotator never gets that image again
  const seen = new Set<string>();
  for (;;) {
    const r = await h.call("POST", "/campaigns/pets/tasks:next", { annotator: "ann" }, { token: annotatorToken });
    if (r.status === 204) break;
    const t = await r.json();
    assert.notEqual(t.image.id, task.image.id);
    assert.ok(!seen.has(t.image.id), "each image leased once");
    seen.add(t.image.id);
  }
  assert.equal(seen.size, 3, "the other three images, then 204");
  const progress = (await json(h.call("GET", "/campaigns/pets"), 200)).progress;
  assert.equal(progress.images.annotated, 1);
  assert.equal(progress.images.leased, 3);
  assert.deepEqual(progress.answers.perAnnotator, { ann: 1 });
  assert.equal(progress.answers.lastHour, 1);
  assert.deepEqual(progress.answers.fatesPerHour[23], { accepted: 1, moved: 0, relabelled: 1, deleted: 0, added: 1 });
});

test("leases expire and are reclaimed; an answer on an expired lease is refused", async () => {
  const leased = await json(h.call("POST", "/campaigns/pets/tasks:next", { annotator: "zed" }), 204);
  assert.equal(leased, undefined, "all images are leased by ann");
  h.clock.now += 601_000;
  const task = await json(h.call("POST", "/campaigns/pets/tasks:next", { annotator: "zed" }), 200);
  const late = await json(
    h.call(
      "PUT",
      `/campaigns/pets/images/${task.image.id}/annotations/ann`,
      { answer: "ignore", boxes: [], modelVersion: null, durationMs: 5 },
      { token: annotatorToken },
    ),
    409,
  );
  assert.equal(late.error.field, "lease");
  const ok = await h.call("PUT", `/campaigns/pets/images/${task.image.id}/annotations/zed`, {
    answer: "ignore",
    boxes: [],
    modelVersion: null,
    durationMs: 5,
  });
  assert.equal(ok.status, 200);
  assert.equal((await json(h.call("GET", "/campaigns/pets"), 200)).progress.images.skipped, 1);
});

test("the task still comes when the model server fails, flagged", async () => {
  await json(h.call("POST", "/campaigns", { id: "down", name: "Down", labels: ["cat"] }), 201);
  await upload("down", png(20, 20, 99), "z.png");
  failPredictions = true;
  try {
    const task = await json(h.call("POST", "/campaigns/down/tasks:next", { annotator: "x" }), 200);
    assert.equal(task.predictionsUnavailable, true);
    assert.equal(task.predictions, null);
  } finally {
    failPredictions = false;
  }
});

test("training and models: admins only", async () => {
  await json(h.call("POST", "/campaigns/pets/training-runs", undefined, { token: annotatorToken }), 403);
  const run = await json(h.call("POST", "/campaigns/pets/training-runs"), 202);
  assert.equal(run.status, "queued");
  const runs = await json(h.call("GET", "/campaigns/pets/training-runs", undefined, { token: annotatorToken }), 200);
  assert.equal(runs.runs[0].id, run.id);
  await json(h.call("GET", `/campaigns/pets/training-runs/${run.id}`), 200);
  await json(h.call("GET", "/campaigns/pets/training-runs/nope"), 404);
  await json(h.call("POST", "/campaigns/pets/models/1:promote", undefined, { token: annotatorToken }), 403);
  await json(h.call("POST", "/campaigns/pets/models/1:promote"), 404);
  await h.deps.models?.list("pets");
});

test("review consolidates two annotators, admin adjudicates, exports use it", async () => {
  await json(h.call("POST", "/campaigns", { id: "double", name: "Double", labels: ["cat"], answersPerImage: 2 }), 201);
  const { image } = await upload("double", png(100, 100, 7), "d.png");
  const answer = async (who: string, x: number) => {
    const t = await json(h.call("POST", "/campaigns/double/tasks:next", { annotator: who }), 200);
    assert.equal(t.image.id, image.id);
    await json(
      h.call("PUT", `/campaigns/double/images/${image.id}/annotations/${who}`, {
        answer: "accept",
        modelVersion: null,
        durationMs: 10,
        boxes: [
          { label: "cat", x, y: 10, width: 40, height: 40 },
          ...(who === "a" ? [{ label: "cat", x: 80, y: 80, width: 10, height: 10 }] : []),
        ],
      }),
      200,
    );
  };
  await answer("a", 10);
  await answer("b", 12);
  await json(h.call("POST", "/campaigns/double/tasks:next", { annotator: "c" }), 204);
  const review = await json(h.call("GET", `/campaigns/double/images/${image.id}/review`), 200);
  assert.equal(review.answers.length, 2);
  assert.equal(review.consolidated.agreement, 0.5);
  assert.deepEqual(review.consolidated.boxes, [{ label: "cat", x: 11, y: 10, width: 40, height: 40 }]);
  const csv = await (await h.call("GET", "/campaigns/double/export?format=csv")).text();
  assert.match(csv, /d\.png,100,100,cat,11,10,51,50/);
  await json(
    h.call("PUT", `/campaigns/double/images/${image.id}/review`, {
      boxes: [{ label: "cat", x: 0, y: 0, width: 5, height: 5 }],
    }),
    200,
  );
  const coco = await (await h.call("GET", "/campaigns/double/export?format=coco")).json();
  assert.deepEqual(coco.annotations[0].bbox, [0, 0, 5, 5]);
  await json(h.call("GET", "/campaigns/double/export?format=coco", undefined, { token: annotatorToken }), 403);
});

test("every retrainEvery answers start a training run, once for each multiple", async () => {
  await json(h.call("POST", "/campaigns", { id: "auto", name: "Auto", labels: ["cat"], retrainEvery: 2 }), 201);
  for (let i = 0; i < 5; i++) await upload("auto", png(20, 20, 100 + i), `auto-${i}.png`);
  const triggers = async () =>
    (await json(h.call("GET", "/campaigns/auto/training-runs"), 200)).runs.map(
      (run: { trigger: { kind: string; answers?: number } }) => run.trigger.answers,
    );
  const answered: number[][] = [];
  for (let i = 0; i < 5; i++) {
    const task = await json(h.call("POST", "/campaigns/auto/tasks:next", { annotator: `a${i}` }), 200);
    await json(
      h.call("PUT", `/campaigns/auto/images/${task.image.id}/annotations/a${i}`, {
        answer: "accept",
        modelVersion: null,
        durationMs: 10,
        boxes: [],
      }),
      200,
    );
    answered.push(await triggers());
  }
  assert.deepEqual(answered, [[], [2], [2], [4, 2], [4, 2]]);
});

test("openapi document", async () => {
  const res = await h.app.request("http://localhost/api/v1/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.ok(doc.paths["/campaigns/{cid}/tasks:next"]);
  assert.ok(doc.paths["/campaigns/{cid}/images/{iid}/annotations/{annotator}"].put);
});
