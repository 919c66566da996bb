// The order of tasks by strategy: `uncertain` takes the sampled image whose prediction is nearest
// the threshold (none at all counts as nearest), `sequential` the oldest free one; no strategy hands
// out an image someone holds or this annotator answered.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ingestImage } from "../images/ingest.ts";
import { layout } from "../layout.ts";
import { predictionCache } from "../predictions/cache.ts";
import type { Prediction, Predictor } from "../predictions/port.ts";
import { testCampaign } from "../testing/campaign.ts";
import { withLocalStore } from "../testing/local-store.ts";
import { png } from "../testing/png.ts";
import { CampaignIndexes } from "./campaign-index.ts";
import { storedLeases } from "./lease.ts";
import { nextTask } from "./next-task.ts";

const campaign = testCampaign({ strategy: "uncertain", answersPerImage: 1 });

/** A small linear congruential generator: the same samples on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Images with one box of the given score from model version 1 (null: no prediction stored; []: no box); six are one sample. */
function setup(
  scores: (number | null | [])[],
  fn: (deps: Parameters<typeof nextTask>[0], ids: string[], advance: (ms: number) => void) => Promise<void>,
): Promise<void> {
  return withLocalStore(async (store) => {
    let clock = Date.parse("2026-12-01T00:00:00Z");
    const ids: string[] = [];
    for (const [i, score] of scores.entries()) {
      const { image } = await ingestImage(store, campaign, png(20, 20, i + 1), `${i}.png`, new Date(clock + i));
      ids.push(image.id);
      if (score === null) continue;
      const boxes = Array.isArray(score) ? [] : [{ label: "a", x: 1, y: 1, width: 5, height: 5, score }];
      const prediction: Prediction = { modelVersion: "1", boxes };
      await store.put(layout.prediction(campaign.id, "1", image.id), JSON.stringify(prediction));
    }
    // A model server that knows version 1 and has nothing new to say.
    const predictor: Predictor = { currentVersion: async () => "1", predict: async () => null };
    const now = () => clock;
    const predictions = predictionCache(store, predictor, { now, log: () => {} });
    const advance = (ms: number) => {
      clock += ms;
    };
    const leases = storedLeases(store);
    await fn(
      { store, leases, indexes: new CampaignIndexes(store, now, 2000, leases), predictions, now, random: seeded(7) },
      ids,
      advance,
    );
  });
}

test("uncertain: nearest the threshold first, no prediction counting as nearest; never an image held", async () => {
  await setup([0.9, 0.45, 0.1, 0.58, null, 0.99], async (deps, ids) => {
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const task = await nextTask(deps, campaign, `ann${i}`);
      assert.ok(task !== undefined);
      assert.equal(task.lease.annotator, `ann${i}`);
      order.push(task.image.id);
    }
    // distances from 0.5: none, 0.05, 0.08, 0.4, 0.4, 0.49 (ties keep the sample's order)
    assert.deepEqual(order.slice(0, 3), [ids[4], ids[1], ids[3]]);
    assert.deepEqual(new Set(order.slice(3, 5)), new Set([ids[0], ids[2]]));
    assert.equal(order[5], ids[5]);
    assert.equal(await nextTask(deps, campaign, "ann6"), undefined, "all six are leased");
  });
});

test("a prediction without boxes is as uncertain as the threshold, no more", async () => {
  const lowThreshold = { ...campaign, threshold: 0.3 };
  await setup([0.95, 0.9, [], 0.99], async (deps, ids) => {
    // distances from 0.3: 0.65, 0.6, no box 0.3, 0.69
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await nextTask(deps, lowThreshold, `ann${i}`))!.image.id);
    assert.deepEqual(order, [ids[2], ids[1], ids[0], ids[3]]);
  });
});

test("a new threshold re-ranks the images already ranked", async () => {
  await setup([0.9, 0.45, 0.3], async (deps, ids) => {
    // distances from 0.5: 0.4, 0.05, 0.2
    assert.equal((await nextTask(deps, campaign, "a"))?.image.id, ids[1]);
    // from 0.85: 0.05, -, 0.55 (ranked at 0.5 still, the last would come first)
    assert.equal((await nextTask(deps, { ...campaign, threshold: 0.85 }, "b"))?.image.id, ids[0]);
  });
});

test("the chosen task carries its cached prediction", async () => {
  await setup([0.7], async (deps, ids) => {
    const task = await nextTask(deps, campaign, "ann");
    assert.equal(task?.image.id, ids[0]);
    assert.equal(task?.lookup.status, "ok");
    assert.equal(task?.lookup.status === "ok" && task.lookup.prediction.boxes[0]?.score, 0.7);
  });
});

test("sequential: the oldest free image; an annotator never gets an image they answered", async () => {
  const sequential = { ...campaign, strategy: "sequential" as const, answersPerImage: 2 };
  await setup([0.5, 0.5, 0.5], async (deps, ids) => {
    assert.equal((await nextTask(deps, sequential, "a"))?.image.id, ids[0]);
    assert.equal((await nextTask(deps, sequential, "b"))?.image.id, ids[1]);
    await deps.store.put(layout.annotation(campaign.id, ids[2]!, "a"), JSON.stringify({ answer: "accept" }));
    await deps.store.delete(layout.lease(campaign.id, ids[0]!));
    // ids[0] is free again, ids[1] is held by b, ids[2] was answered by a
    assert.equal((await nextTask(deps, sequential, "a"))?.image.id, ids[0]);
    assert.equal(await nextTask(deps, sequential, "a"), undefined);
    assert.equal((await nextTask(deps, sequential, "c"))?.image.id, ids[2]);
  });
});

test("an expired lease is taken over without reading it; a live one never, even after the lease time is shortened", async () => {
  const long = { ...campaign, leaseSeconds: 600 };
  const short = { ...campaign, leaseSeconds: 60 };
  await setup([0.5], async (deps, ids, advance) => {
    const leaseKey = layout.lease(campaign.id, ids[0]!);
    const leaseReads: string[] = [];
    const get = deps.store.get.bind(deps.store);
    deps.store.get = (key, ...rest) => {
      if (key === leaseKey) leaseReads.push(key);
      return get(key, ...rest);
    };
    assert.equal((await nextTask(deps, long, "a"))?.image.id, ids[0]);
    advance(120_000);
    // The lease says 600 s; the campaign's 60 s apply to leases taken from now on.
    assert.equal(await nextTask(deps, short, "b"), undefined);
    advance(481_000);
    leaseReads.length = 0;
    const task = await nextTask(deps, short, "b");
    assert.equal(task?.image.id, ids[0]);
    assert.deepEqual(leaseReads, [], "the view knew the expired lease's ETag");
    const stored = JSON.parse(new TextDecoder().decode((await get(leaseKey))!.body)) as { annotator: string };
    assert.equal(stored.annotator, "b");
    assert.equal(task?.lease.expiresAt, new Date(Date.parse("2026-12-01T00:00:00Z") + 601_000 + 60_000).toISOString());
  });
});
