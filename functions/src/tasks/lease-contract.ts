// The contract both lease keepers pass (lease.test.ts; test/interop/s3-moto.test.ts runs the stored
// one on S3): one live lease per image, taken over once expired, released only by its holder.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import type { Leases } from "./lease.ts";

const t0 = Date.parse("2026-12-01T00:00:00Z");
const leaseMs = 60_000;

export function leaseContract(name: string, leases: () => Leases): void {
  const run = randomBytes(4).toString("hex");
  let n = 0;
  const fresh = () => `lease-${run}-${++n}`;

  test(`${name}: one live lease per image; its holder and end are known to the others`, async () => {
    const [l, cid] = [leases(), fresh()];
    const a = await l.acquire(cid, "img1", "ann", t0, leaseMs);
    assert.equal(a?.taken, true);
    assert.deepEqual(a.lease, {
      imageId: "img1",
      annotator: "ann",
      leasedAt: "2026-12-01T00:00:00.000Z",
      expiresAt: "2026-12-01T00:01:00.000Z",
    });
    const b = await l.acquire(cid, "img1", "bob", t0 + 1000, leaseMs);
    assert.equal(b?.taken, false);
    assert.deepEqual([b.lease, b.etag], [a.lease, a.etag]);
    assert.equal((await l.acquire(cid, "img2", "bob", t0 + 1000, leaseMs))?.taken, true, "another image is free");
    assert.equal(
      (await l.acquire(fresh(), "img1", "bob", t0 + 1000, leaseMs))?.taken,
      true,
      "so is another campaign's",
    );
    assert.deepEqual(await l.read(cid, "img1", t0 + 59_999), { lease: a.lease, etag: a.etag, live: true });
    assert.equal(await l.read(cid, "img3", t0), undefined);
  });

  test(`${name}: an expired lease is taken over, and its old holder can no longer release it`, async () => {
    const [l, cid] = [leases(), fresh()];
    const a = await l.acquire(cid, "img1", "ann", t0, leaseMs);
    assert.equal((await l.read(cid, "img1", t0 + leaseMs))?.live, false);
    const b = await l.acquire(cid, "img1", "bob", t0 + leaseMs, leaseMs, a?.etag);
    assert.equal(b?.taken, true);
    assert.notEqual(b.etag, a?.etag);
    await l.release(cid, "img1", { annotator: "ann", etag: a!.etag, live: false });
    assert.equal((await l.read(cid, "img1", t0 + leaseMs))?.lease.annotator, "bob", "still bob's");
    // Taken over without the caller knowing the old ETag too.
    const c = await l.acquire(cid, "img1", "cat", t0 + 3 * leaseMs, leaseMs);
    assert.equal(c?.lease.annotator, "cat");
  });

  test(`${name}: a released lease frees its image; leased lists the live ones`, async () => {
    const [l, cid] = [leases(), fresh()];
    const a = await l.acquire(cid, "img1", "ann", t0, leaseMs);
    await l.acquire(cid, "img2", "bob", t0, leaseMs);
    assert.deepEqual([...(await l.leased(cid, leaseMs)).keys()].sort(), ["img1", "img2"]);
    await l.release(cid, "img1", { annotator: "ann", etag: a!.etag, live: true });
    assert.equal(await l.read(cid, "img1", t0), undefined);
    assert.deepEqual([...(await l.leased(cid, leaseMs)).keys()], ["img2"]);
    assert.equal((await l.acquire(cid, "img1", "cat", t0 + 1, leaseMs))?.taken, true);
  });

  test(`${name}: of annotators racing for one image, exactly one takes it`, async () => {
    const [l, cid] = [leases(), fresh()];
    const got = await Promise.all(Array.from({ length: 8 }, (_, i) => l.acquire(cid, "img1", `ann${i}`, t0, leaseMs)));
    const takers = got.filter((found) => found?.taken === true);
    assert.equal(takers.length, 1);
    assert.equal((await l.read(cid, "img1", t0))?.lease.annotator, takers[0]!.lease.annotator);
  });
}
