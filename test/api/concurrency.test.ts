// 50 simulated annotators on one campaign of 500 images, against the API in its own process:
// no image is leased to two annotators, and every acknowledged answer is in storage afterwards.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { png } from "@boxloop/functions/testing/png";
import { type ApiProcess, client, startApi } from "../support/api-server.ts";

const dir = mkdtempSync(join(tmpdir(), "boxloop-concurrency-"));
const adminToken = "concurrency-admin-token-0123456789";
let api: ApiProcess | undefined;
after(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("50 annotators, 500 images: one lease per image, every acknowledged answer stored", async () => {
  const images = join(dir, "images");
  mkdirSync(images);
  for (let i = 0; i < 500; i++)
    writeFileSync(join(images, `img-${String(i).padStart(3, "0")}.png`), png(32, 24, i + 1));
  api = await startApi({ dataDir: join(dir, "store"), adminToken, importRoot: images });
  const admin = client(api.url, adminToken);
  const annotators = Array.from({ length: 50 }, (_, i) => `ann${i}`);
  const created = await admin("POST", "/campaigns", {
    id: "busy",
    name: "Busy",
    labels: ["a", "b"],
    members: annotators.map((id) => ({ id, role: "annotator" })),
  });
  assert.equal(created.status, 201, created.text);
  const imported = await admin("POST", "/campaigns/busy/images:import", { source: "folder", path: images });
  assert.equal(JSON.parse(imported.text).imported, 500, imported.text);

  const leasedBy = new Map<string, string[]>();
  const acked: { iid: string; annotator: string; text: string }[] = [];
  const started = Date.now();
  await Promise.all(
    annotators.map(async (annotator, n) => {
      const token = JSON.parse((await admin("POST", "/tokens", { subject: annotator })).text).token as string;
      const call = client(api!.url, token);
      for (;;) {
        const next = await call("POST", "/campaigns/busy/tasks:next", { annotator });
        if (next.status === 204) return;
        assert.equal(next.status, 200, next.text);
        const task = JSON.parse(next.text);
        const iid = task.image.id as string;
        leasedBy.set(iid, [...(leasedBy.get(iid) ?? []), annotator]);
        const answer = {
          answer: "accept",
          boxes: [{ label: n % 2 ? "a" : "b", x: n % 10, y: 1, width: 5 + (n % 7), height: 4 }],
          modelVersion: null,
          durationMs: n,
        };
        const put = await call("PUT", `/campaigns/busy/images/${iid}/annotations/${annotator}`, answer);
        assert.equal(put.status, 200, put.text);
        acked.push({ iid, annotator, text: put.text });
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  console.log(`# 500 answers by 50 annotators in ${seconds.toFixed(1)} s (${(500 / seconds).toFixed(0)} answers/s)`);

  const doubles = [...leasedBy].filter(([, who]) => who.length > 1);
  assert.deepEqual(doubles, [], "no image leased twice");
  assert.equal(leasedBy.size, 500);
  assert.equal(acked.length, 500);
  const progress = JSON.parse((await admin("GET", "/campaigns/busy")).text).progress;
  assert.equal(progress.images.annotated, 500);
  assert.equal(Object.keys(progress.answers.perAnnotator).length, 50);
  await api.stop(); // a clean stop: every answer reaches its file
  for (const { iid, annotator, text } of acked) {
    const file = join(dir, "store", "data", "campaigns", "busy", "annotations", iid, `${annotator}.json`);
    assert.equal(readFileSync(file, "utf8"), text, `${file} holds the acknowledged answer`);
  }
});

test("over HTTP, a body over the limit is a 413 whether it has a Content-Length or comes chunked", async () => {
  const server = await startApi({ dataDir: join(dir, "limits"), adminToken });
  after(() => server.stop());
  const url = `${server.url}/api/v1/campaigns/any/tasks:next`;
  const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const big = JSON.stringify({ annotator: "x".repeat(2 * 1024 * 1024) });
  const sized = await fetch(url, { method: "POST", headers, body: big });
  assert.equal(sized.status, 413);
  assert.equal(((await sized.json()) as { error: { field: string } }).error.field, "body");
  const chunks = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 4; i++)
        controller.enqueue(new TextEncoder().encode(big.slice(i * 600_000, (i + 1) * 600_000)));
      controller.close();
    },
  });
  const chunked = await fetch(url, { method: "POST", headers, body: chunks, duplex: "half" } as RequestInit);
  assert.equal(chunked.status, 413);
});
