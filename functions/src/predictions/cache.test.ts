// Predictions cached per image and model version: memory, then storage, then the model server;
// a version's stored predictions are read into memory when it is first seen; memory is bounded.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Campaign } from "../campaigns/schema.ts";
import type { ImageMeta } from "../images/ingest.ts";
import { layout } from "../layout.ts";
import { withLocalStore } from "../testing/local-store.ts";
import { predictionCache } from "./cache.ts";
import { type Prediction, type Predictor, unpack } from "./port.ts";

const campaign = { id: "c1", modelName: "c1", threshold: 0.5 } as Campaign;
const image = (id: string) => ({ id, ext: "png", width: 20, height: 10 }) as ImageMeta;
const prediction = (version: string, score: number): Prediction => ({
  modelVersion: version,
  boxes: [{ label: "a", x: 1, y: 1, width: 5, height: 5, score }],
});

/** A model server at `version` that scores every image 0.9 and counts its calls. */
function server(state: { version: string | null; down?: boolean }) {
  let calls = 0;
  const predictor: Predictor = {
    currentVersion: async () => state.version,
    predict: async () => {
      calls++;
      if (state.down) throw new Error("connection refused");
      return state.version === null ? null : prediction(state.version, 0.9);
    },
  };
  return { predictor, calls: () => calls };
}

test("a new version's stored predictions are read into memory; the others come from the model server once", async () => {
  await withLocalStore(async (store) => {
    for (const [iid, score] of [
      ["i1", 0.2],
      ["i2", 0.6],
    ] as const)
      await store.put(layout.prediction("c1", "3", iid), JSON.stringify(prediction("3", score)));
    await store.put(layout.imageBytes("c1", "i3", "png"), new Uint8Array([1, 2, 3]));
    const model = server({ version: "3" });
    const lines: string[] = [];
    const cache = predictionCache(store, model.predictor, { log: (line) => lines.push(line) });
    assert.equal(cache.known("c1", "3", "i1"), undefined, "nothing is read before the version is seen");
    assert.equal(await cache.version(campaign), "3");
    while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.match(lines[0]!, /campaign c1, model version 3: 2 read into memory/);
    const known = cache.known("c1", "3", "i2");
    assert.deepEqual(known && unpack(known), prediction("3", 0.6));
    assert.deepEqual(await cache.get(campaign, image("i1")), { status: "ok", prediction: prediction("3", 0.2) });
    assert.equal(model.calls(), 0);
    // Not stored: the model server is asked once, the answer kept in memory and in storage.
    assert.deepEqual(await cache.get(campaign, image("i3")), { status: "ok", prediction: prediction("3", 0.9) });
    assert.deepEqual(await cache.get(campaign, image("i3")), { status: "ok", prediction: prediction("3", 0.9) });
    assert.equal(model.calls(), 1);
    assert.ok(await store.head(layout.prediction("c1", "3", "i3")));
    assert.equal(cache.known("c1", "4", "i1"), undefined, "cached per version");
  });
});

test("the model server down: unavailable, nothing cached; no model: none", async () => {
  await withLocalStore(async (store) => {
    await store.put(layout.imageBytes("c1", "i1", "png"), new Uint8Array([1]));
    const state: { version: string | null; down?: boolean } = { version: "1", down: true };
    const model = server(state);
    const cache = predictionCache(store, model.predictor, { versionTtlMs: 0, log: () => {} });
    const down = await cache.get(campaign, image("i1"));
    assert.equal(down.status, "unavailable");
    assert.equal(cache.known("c1", "1", "i1"), undefined);
    state.down = false;
    assert.equal((await cache.get(campaign, image("i1"))).status, "ok");
    state.version = null;
    assert.deepEqual(await cache.get(campaign, image("i1")), { status: "none" });
  });
});

test("memory holds at most maxEntries, forgetting the oldest first; storage still answers", async () => {
  await withLocalStore(async (store) => {
    for (const iid of ["i1", "i2", "i3"]) {
      await store.put(layout.imageBytes("c1", iid, "png"), new Uint8Array([1]));
      await store.put(layout.prediction("c1", "1", iid), JSON.stringify(prediction("1", 0.3)));
    }
    const model = server({ version: "1" });
    const lines: string[] = [];
    const cache = predictionCache(store, model.predictor, { maxEntries: 2, log: (line) => lines.push(line) });
    await cache.version(campaign);
    while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(lines[0]!.includes(": 2 read into memory"), true, lines[0]);
    assert.ok(cache.known("c1", "1", "i1") && cache.known("c1", "1", "i2"));
    assert.equal((await cache.get(campaign, image("i3"))).status, "ok");
    assert.equal(cache.known("c1", "1", "i1"), undefined, "the oldest is forgotten");
    assert.ok(cache.known("c1", "1", "i2") && cache.known("c1", "1", "i3"));
    assert.equal((await cache.get(campaign, image("i1"))).status, "ok", "read from storage again");
    assert.equal(model.calls(), 0);
  });
});
