// The API's ModelClient against a running model server: the same boxes over REST and gRPC, pixels
// or encoded bytes; the Predictor adapter; and a dead server failing fast through the breaker.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Campaign } from "../../functions/src/campaigns/schema.ts";
import { labelMapFromBoxloopJson, labelMapFromList } from "../../functions/src/model-client/detections.ts";
import { CircuitOpenError, ModelServerError } from "../../functions/src/model-client/errors.ts";
import { ModelClient } from "../../functions/src/model-client/model-client.ts";
import { modelClientPredictor } from "../../functions/src/model-client/predictor.ts";
import { writeConvDetector } from "./conv-detector.ts";
import { type Photo, raccoonPhoto, startTestServer, type TestServer, tempDir } from "./harness.ts";

let server: TestServer;
let photo: Photo;
let base: string;
const labels = labelMapFromList(["raccoon"]);

before(async () => {
  base = await tempDir();
  await writeConvDetector(join(base, "1"), {
    seed: 3,
    files: { "boxloop.json": JSON.stringify({ labels: ["procyon"] }) },
  });
  photo = await raccoonPhoto("raccoon-3.jpg");
  server = await startTestServer(base);
});
after(() => server.close());

test("REST and gRPC, pixels or encoded, give the same pixel boxes above the threshold", async () => {
  const clients = {
    restPixels: new ModelClient({ transport: "rest", address: server.rest }),
    grpcPixels: new ModelClient({ transport: "grpc", address: server.grpcAddress }),
    restEncoded: new ModelClient({ transport: "rest", address: server.rest, imageEncoding: "encoded" }),
    grpcEncoded: new ModelClient({ transport: "grpc", address: server.grpcAddress, imageEncoding: "encoded" }),
  };
  // A threshold among the model's own scores, so that it keeps some boxes and drops others.
  const raw = await clients.grpcEncoded.predict("detector", { kind: "encoded", bytes: photo.jpeg });
  const scores = Array.from(raw.outputs.detection_scores!.values).sort((a, b) => a - b);
  const k = Math.floor(scores.length * 0.75);
  const threshold = (scores[k - 1]! + scores[k]!) / 2;
  const results: Record<string, Awaited<ReturnType<ModelClient["detect"]>>> = {};
  for (const [name, client] of Object.entries(clients)) {
    results[name] = await client.detect("detector", photo.jpeg, {
      width: photo.width,
      height: photo.height,
      labels,
      threshold,
    });
    client.close();
  }
  const reference = results.restPixels!;
  assert.ok(reference);
  assert.equal(reference.version, 1);
  assert.ok(reference.boxes.length > 0 && reference.boxes.length < scores.length, "the threshold keeps some boxes");
  for (const box of reference.boxes) {
    assert.equal(box.label, "raccoon");
    assert.ok(box.score >= threshold);
    assert.ok(
      box.x >= 0 && box.y >= 0 && box.x + box.width <= photo.width + 1e-6 && box.y + box.height <= photo.height + 1e-6,
    );
  }
  // Same pixels, same boxes: the transports agree exactly. Pixels decoded by the client (jpeg-js) and by
  // the server (sharp's libjpeg-turbo) differ by IDCT rounding (a few levels), so the boxes barely move.
  const agree = (name: string, reference: (typeof results)[string], scoreTol: number, pxTol: number) => {
    const result = results[name];
    assert.equal(result?.boxes.length, reference!.boxes.length, name);
    result!.boxes.forEach((b, i) => {
      const r = reference!.boxes[i]!;
      const close =
        Math.abs(b.score - r.score) < scoreTol && Math.abs(b.x - r.x) < pxTol && Math.abs(b.height - r.height) < pxTol;
      assert.ok(close, `${name} box ${i}: ${JSON.stringify(b)} vs ${JSON.stringify(r)}`);
    });
  };
  agree("grpcPixels", reference, 1e-4, 0.05);
  agree("grpcEncoded", results.restEncoded, 1e-4, 0.05);
  agree("restEncoded", reference, 0.02, 2);
});

test("latestVersion: the newest AVAILABLE version, null for an unknown model", async () => {
  const client = new ModelClient({ transport: "grpc", address: server.grpcAddress });
  assert.equal(await client.latestVersion("detector"), 1);
  assert.equal(await client.latestVersion("nope"), null);
  client.close();
});

test("the Predictor gives the campaign's labels and threshold, and null without a model", async () => {
  const client = new ModelClient({ transport: "rest", address: server.rest });
  const predictor = modelClientPredictor(client);
  const raw = await client.predict("detector", { kind: "encoded", bytes: photo.jpeg });
  const scores = Array.from(raw.outputs.detection_scores!.values).sort((a, b) => a - b);
  const k = Math.floor(scores.length / 2);
  const threshold = (scores[k - 1]! + scores[k]!) / 2;
  const campaign = { modelName: "detector", labels: ["raccoon", "dog"], threshold } as Campaign;
  assert.equal(await predictor.currentVersion(campaign), "1");
  const input = {
    campaign,
    imageId: "i1",
    imageKey: "k",
    bytes: photo.jpeg,
    width: photo.width,
    height: photo.height,
    signal: AbortSignal.timeout(10_000),
  };
  const prediction = await predictor.predict(input);
  assert.equal(prediction?.modelVersion, "1");
  assert.equal(prediction!.boxes.length, scores.length - k, "the boxes above the median score");
  assert.ok(prediction!.boxes.every((b) => b.label === "raccoon" && b.score >= threshold));
  const none = await predictor.predict({ ...input, campaign: { ...campaign, modelName: "nope" } as Campaign });
  assert.equal(none, null);

  // With the version's own label map (boxloop.json), its labels win over the campaign's.
  const fromFile = modelClientPredictor(client, {
    labelMap: async (_model, version) =>
      labelMapFromBoxloopJson(JSON.parse(await readFile(join(base, String(version), "boxloop.json"), "utf8"))),
  });
  const labelled = await fromFile.predict(input);
  assert.equal(labelled!.boxes.length, scores.length - k);
  assert.ok(labelled!.boxes.every((b) => b.label === "procyon"));
});

test("a dead server: retries, then the breaker opens and calls fail at once", async () => {
  const dead = await startTestServer(await tempDir());
  const rest = dead.rest;
  const grpcAddress = dead.grpcAddress;
  await dead.close();
  for (const [transport, address] of [
    ["rest", rest],
    ["grpc", grpcAddress],
  ] as const) {
    const client = new ModelClient({
      transport,
      address,
      timeoutMs: 1000,
      retries: 1,
      backoffMs: 5,
      breaker: { failureThreshold: 2, resetMs: 60_000 },
    });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        client.latestVersion("detector"),
        (e: unknown) => e instanceof ModelServerError && e.code === "UNAVAILABLE",
      );
    }
    assert.equal(client.breaker.state, "open");
    const predictor = modelClientPredictor(client);
    const started = performance.now();
    await assert.rejects(
      predictor.predict({
        campaign: { modelName: "detector", labels: ["raccoon"], threshold: 0.5 } as Campaign,
        imageId: "i",
        imageKey: "k",
        bytes: photo.jpeg,
        width: photo.width,
        height: photo.height,
        signal: AbortSignal.timeout(5000),
      }),
      CircuitOpenError,
    );
    assert.ok(performance.now() - started < 50, `${transport}: failed in ${performance.now() - started} ms`);
    client.close();
  }
});
