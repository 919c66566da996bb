// The campaign cache: one read per expiry however many requests wait, other writers' edits after the
// ttl, and a save never undone by a read that was under way.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Principal } from "../auth/port.ts";
import type { ApiError } from "../errors.ts";
import { layout } from "../layout.ts";
import type { LocalStore } from "../storage/local.ts";
import type { Store } from "../storage/port.ts";
import { testCampaign } from "../testing/campaign.ts";
import { withLocalStore } from "../testing/local-store.ts";
import { campaignRepo } from "./repo.ts";

const admin: Principal = { subject: "admin", role: "admin" };

/** The store, its reads of campaign.json counted and, while `hold` is set, held until it resolves. */
function watched(store: LocalStore) {
  const state = { reads: 0, hold: undefined as Promise<void> | undefined };
  const get: Store["get"] = async (key) => {
    if (key.endsWith("campaign.json")) {
      state.reads++;
      const found = await store.get(key);
      await state.hold;
      return found;
    }
    return store.get(key);
  };
  // Every other method runs on the store itself, so that its state stays its own (an object made
  // with Object.create(store) would take its own copies of the fields the store assigns).
  const wrapped = new Proxy(store, {
    get: (target, name) => {
      if (name === "get") return get;
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: wrapped as Store, state };
}

test("after the ttl, concurrent loads share one read; an unchanged campaign is the same object", async () => {
  await withLocalStore(async (local) => {
    let now = 0;
    const { store, state } = watched(local);
    const repo = campaignRepo(store, 1000, () => now);
    await repo.create(testCampaign());
    const first = await repo.load("c1", admin);
    now += 1000;
    const loads = await Promise.all(Array.from({ length: 50 }, () => repo.load("c1", admin)));
    assert.equal(state.reads, 1);
    for (const { campaign } of loads) assert.equal(campaign, first.campaign);
  });
});

test("another writer's edit shows once the ttl has passed; a deleted campaign is then not found", async () => {
  await withLocalStore(async (local) => {
    let now = 0;
    const repo = campaignRepo(local, 1000, () => now);
    await repo.create(testCampaign());
    await repo.load("c1", admin);
    await local.put(layout.campaign("c1"), JSON.stringify(testCampaign({ name: "Renamed" })));
    assert.equal((await repo.load("c1", admin)).campaign.name, "C", "cached");
    now += 1000;
    assert.equal((await repo.load("c1", admin)).campaign.name, "Renamed");
    await local.delete(layout.campaign("c1"));
    now += 1000;
    await assert.rejects(repo.load("c1", admin), (error: ApiError) => error.httpStatus === 404);
  });
});

test("a save while a read is under way is not undone by that read", async () => {
  await withLocalStore(async (local) => {
    let now = 0;
    const { store, state } = watched(local);
    const repo = campaignRepo(store, 1000, () => now);
    const { etag } = await repo.create(testCampaign());
    now += 1000;
    let release!: () => void;
    state.hold = new Promise((resolve) => {
      release = resolve;
    });
    const reading = repo.load("c1", admin);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await repo.save(testCampaign({ name: "Saved" }), etag);
    release();
    state.hold = undefined;
    assert.equal((await reading).campaign.name, "C", "the read returns what it read");
    assert.equal((await repo.load("c1", admin)).campaign.name, "Saved");
  });
});
