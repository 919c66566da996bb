// The campaign view follows a watched store's changes at once, without listing again; over a store
// that does not report its changes it lists again once its ttl has passed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ingestImage } from "../images/ingest.ts";
import { layout } from "../layout.ts";
import type { LocalStore } from "../storage/local.ts";
import type { Store } from "../storage/port.ts";
import { testCampaign } from "../testing/campaign.ts";
import { withLocalStore } from "../testing/local-store.ts";
import { png } from "../testing/png.ts";
import { answerBy, answeredAt, CampaignIndexes, leaseUntil } from "./campaign-index.ts";

const campaign = testCampaign();

/** The store's operations with `list` counted; `watch` only when `watched`. */
function counting(store: LocalStore, watched: boolean): { store: Store; lists: () => number } {
  let lists = 0;
  const wrapped: Store = {
    put: (k, b, o) => store.put(k, b, o),
    get: (k) => store.get(k),
    getStream: (k) => store.getStream(k),
    head: (k) => store.head(k),
    list: (p, o) => {
      lists++;
      return store.list(p, o);
    },
    delete: (k, o) => store.delete(k, o),
    presignPut: (k, o) => store.presignPut(k, o),
    presignGet: (k, o) => store.presignGet(k, o),
    ...(watched ? { watch: (l: Parameters<LocalStore["watch"]>[0]) => store.watch(l) } : {}),
  };
  return { store: wrapped, lists: () => lists };
}

const answer = (iid: string, who: string) =>
  JSON.stringify({ answer: "accept", boxes: [], imageId: iid, annotator: who, fates: [{ fate: "accepted" }] });

test("a watched store: answers, leases and new images reach the view at once, without a second listing", async () => {
  await withLocalStore(async (local) => {
    const { image: first } = await ingestImage(local, campaign, png(8, 8, 1), "a.png", new Date(1000));
    const { store, lists } = counting(local, true);
    let now = 10_000;
    const indexes = new CampaignIndexes(store, () => now, 2000);
    const index = await indexes.get(campaign);
    assert.ok(indexes.current(campaign.id));
    const listed = lists();
    assert.ok(listed > 0);

    const { etag } = await store.put(layout.annotation("c1", first.id, "ann"), answer(first.id, "ann"));
    assert.equal(answerBy(index.images.get(first.id)!, "ann")?.etag, etag, "known as soon as the write returns");
    assert.equal(index.answers, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(answerBy(index.images.get(first.id)!, "ann")?.fates, { accepted: 1 }, "then read");

    await store.put(layout.lease("c1", first.id), "{}", { durable: false });
    assert.ok(leaseUntil(index.images.get(first.id)!) > Date.now() + 50_000);
    await store.delete(layout.lease("c1", first.id), { durable: false });
    assert.equal(leaseUntil(index.images.get(first.id)!), 0);
    await store.delete(layout.annotation("c1", first.id, "ann"));
    assert.equal(answerBy(index.images.get(first.id)!, "ann"), undefined);
    assert.equal(index.answers, 0);

    const { image: second } = await ingestImage(store, campaign, png(8, 8, 2), "b.png", new Date(2000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(
      index.order.map((state) => state.id),
      [first.id, second.id],
    );

    // Unanswered images share an empty array: an answer to one must not show on another.
    await store.put(layout.annotation("c1", second.id, "bob"), answer(second.id, "bob"));
    const { image: third } = await ingestImage(store, campaign, png(8, 8, 3), "c.png", new Date(3000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(
      index.images.get(second.id)!.answers.map((note) => note.annotator),
      ["bob"],
    );
    assert.equal(index.images.get(third.id)!.answers.length, 0);
    await store.put(layout.annotation("c1", second.id, "bob"), answer(second.id, "bob"));
    assert.equal(index.answers, 1, "a changed answer is still one");

    now += 60_000;
    await indexes.get(campaign);
    assert.equal(lists(), listed, "no listing after the first");
  });
});

test("a store that does not report changes: the view is listed again once its ttl has passed", async () => {
  await withLocalStore(async (local) => {
    const { image } = await ingestImage(local, campaign, png(8, 8, 1), "a.png", new Date(1000));
    const { store, lists } = counting(local, false);
    let now = 10_000;
    const indexes = new CampaignIndexes(store, () => now, 2000);
    const index = await indexes.get(campaign);
    assert.equal(indexes.current(campaign.id), false);
    await store.put(layout.annotation("c1", image.id, "ann"), answer(image.id, "ann"));
    assert.equal(answerBy(index.images.get(image.id)!, "ann"), undefined, "not seen before the ttl");
    const listed = lists();
    now += 2000;
    await indexes.get(campaign); // starts the refresh
    await indexes.get(campaign);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(lists() > listed);
    assert.equal(answerBy(index.images.get(image.id)!, "ann")?.answer, "accept");
  });
});

test("an answer written through writeAnswer is noted as written; a later put of the key by another writer wins", async () => {
  await withLocalStore(async (local) => {
    const { image } = await ingestImage(local, campaign, png(8, 8, 1), "a.png", new Date(1000));
    const indexes = new CampaignIndexes(local, () => 10_000, 2000);
    const index = await indexes.get(campaign);
    const key = layout.annotation("c1", image.id, "ann");
    const note = { answer: "reject", at: 1_700_000_123_456, fates: { deleted: 2 } };
    const { etag } = await indexes.writeAnswer("c1", indexes.state("c1", image.id), "ann", key, note, () =>
      local.put(key, answer(image.id, "ann")),
    );
    const noted = answerBy(index.images.get(image.id)!, "ann")!;
    assert.deepEqual(
      { answer: noted.answer, at: answeredAt(noted), etag: noted.etag, fates: noted.fates },
      { ...note, at: 1_700_000_123_000, etag },
      "the writer's note (its time to the second), not a read",
    );
    assert.equal(index.answers, 1);

    // Another writer's put lands while this one is on its way: the view follows that one, the last.
    let other: string | undefined;
    const written = await indexes.writeAnswer("c1", indexes.state("c1", image.id), "ann", key, note, async () => {
      const out = await local.put(key, answer(image.id, "ann"));
      other = (await local.put(key, JSON.stringify({ answer: "accept", fates: [] }))).etag;
      return out;
    });
    assert.notEqual(written.etag, other);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const followed = answerBy(index.images.get(image.id)!, "ann")!;
    assert.deepEqual([followed.answer, followed.etag], ["accept", other], "read back");
    assert.equal(index.answers, 1);

    // A write that fails leaves the view as it was.
    await assert.rejects(
      indexes.writeAnswer("c1", indexes.state("c1", image.id), "ann", key, note, () =>
        local.put(key, "{}", { ifMatch: '"0-0"' }),
      ),
    );
    assert.equal(answerBy(index.images.get(image.id)!, "ann")?.etag, other);
  });
});
