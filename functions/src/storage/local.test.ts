import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Hono } from "hono";
import { blobRoutes } from "./blob-routes.ts";
import { storeContract } from "./contract.ts";
import { LocalStore } from "./local.ts";
import { isPreconditionFailed } from "./port.ts";

const root = mkdtempSync(join(tmpdir(), "boxloop-local-store-"));
after(() => rmSync(root, { recursive: true, force: true }));
const store = new LocalStore(join(root, "data"));
const app = new Hono().route("/api/v1/blobs", blobRoutes(store));

storeContract("local", () => store, {
  conditional: true,
  checksSignatures: true,
  fetch: async (url, init) => app.request(new URL(url, "http://local").toString(), init),
});

test("local: writes are read back at once, reach their files, and leave no temporary file", async () => {
  const { etag } = await store.put("t/a.json", "x");
  assert.equal((await store.head("t/a.json"))?.etag, etag, "read back before the file is written");
  await assert.rejects(store.put("t/a.json", "y", { ifNoneMatch: "*" }), isPreconditionFailed);
  await store.flushed();
  assert.equal(readFileSync(join(root, "data", "t", "a.json"), "utf8"), "x");
  assert.equal((await new LocalStore(join(root, "data")).head("t/a.json"))?.etag, etag, "same ETag from the file");
  assert.deepEqual(readdirSync(join(root, "data", "t")), ["a.json"], "no temporary file beside it");
});

test("local: cached folder listings see every write and delete once it reaches the files", async () => {
  const keys = Array.from({ length: 300 }, (_, i) => `listing/f/${String(i).padStart(3, "0")}.json`);
  await Promise.all(keys.map((key) => store.put(key, "x")));
  const all = async () => {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list("listing/", { limit: 100, ...(cursor === undefined ? {} : { cursor }) });
      out.push(...page.items.map((item) => item.key));
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  };
  assert.deepEqual(await all(), keys);
  await store.flushed();
  assert.deepEqual(await all(), keys);
  // File systems keep coarse mtimes: a change may leave the folder's mtime as it was. Pin it.
  const folder = join(root, "data", "listing", "f");
  utimesSync(folder, 1000, 1000);
  assert.deepEqual(await all(), keys);
  for (let round = 0; round < 20; round++) {
    const added = `listing/f/new-${round}.json`;
    await store.put(added, "y");
    await store.flushed();
    utimesSync(folder, 1000, 1000);
    assert.ok((await all()).includes(added), `round ${round}: ${added} listed`);
    await store.delete(added);
    await store.flushed();
    utimesSync(folder, 1000, 1000);
    assert.ok(!(await all()).includes(added), `round ${round}: ${added} gone`);
    await store.put(`listing/g/${round}/a.json`, "z");
    await store.flushed();
    assert.ok((await all()).includes(`listing/g/${round}/a.json`), `round ${round}: new folder listed`);
  }
});

test("local: soft writes live in memory only; durable writes over them, and soft deletes of files, reach the disk", async () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-soft-"));
  try {
    const first = new LocalStore(dir);
    await first.put("leases/a.json", "file");
    await first.close();
    const s = new LocalStore(dir);
    const soft = await s.put("leases/b.json", "soft", { ifNoneMatch: "*", durable: false });
    assert.equal((await s.get("leases/b.json"))?.etag, soft.etag);
    assert.deepEqual(
      (await s.list("leases/")).items.map((i) => i.key),
      ["leases/a.json", "leases/b.json"],
    );
    await s.put("leases/c.json", "soft", { durable: false });
    await s.put("leases/c.json", "durable");
    await s.delete("leases/a.json", { durable: false });
    await s.flushed();
    assert.deepEqual(readdirSync(join(dir, "leases")).sort(), ["c.json"], "b stays in memory; a's file is removed");
    await s.delete("leases/b.json", { ifMatch: soft.etag, durable: false });
    assert.equal(await s.head("leases/b.json"), undefined);
    await s.put("leases/d.json", "soft", { durable: false });
    await s.close();
    const restarted = new LocalStore(dir);
    assert.deepEqual(
      (await restarted.list("leases/")).items.map((i) => i.key),
      ["leases/c.json"],
      "a restart forgets soft writes",
    );
    await restarted.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("local: keys in a folder seen missing are found once a write creates the folder and reaches the file", async () => {
  for (let round = 0; round < 5; round++) {
    const key = `missing/${round}/deep/a.json`;
    assert.equal(await store.get(key), undefined);
    assert.equal(await store.head(key), undefined);
    const { etag } = await store.put(key, `v${round}`);
    await store.flushed();
    assert.equal((await store.head(key))?.etag, etag, `round ${round}: head from the file`);
    assert.equal(
      Buffer.from((await store.get(key))!.body).toString(),
      `v${round}`,
      `round ${round}: get from the file`,
    );
    assert.equal((await store.list(`missing/${round}/`)).items.length, 1);
  }
});

test("local: watchers see every acknowledged write and delete, soft ones too, in order", async () => {
  const seen: Array<[string, boolean]> = [];
  const stop = store.watch((change) => seen.push([change.key, change.etag !== undefined]));
  const { etag } = await store.put("watched/a.json", "x");
  await store.put("watched/lease.json", "l", { durable: false });
  await store.delete("watched/lease.json", { durable: false });
  await store.delete("watched/a.json", { ifMatch: etag });
  await assert.rejects(store.put("watched/b.json", "y", { ifMatch: '"nope"' }), isPreconditionFailed);
  stop();
  await store.put("watched/c.json", "z");
  assert.deepEqual(seen, [
    ["watched/a.json", true],
    ["watched/lease.json", true],
    ["watched/lease.json", false],
    ["watched/a.json", false],
  ]);
});

test("local: a file that cannot be written is retried until it can, then the journal checkpoints", async () => {
  const dir = join(root, "blocked-store");
  const blocked = new LocalStore(dir);
  await blocked.ready();
  // A file where the key's folder should be: every attempt fails until it goes.
  writeFileSync(join(dir, "b"), "in the way");
  await blocked.put("b/x.json", "first");
  await new Promise((resolve) => setTimeout(resolve, 50));
  await blocked.put("b/x.json", "second");
  assert.equal(new TextDecoder().decode((await blocked.get("b/x.json"))?.body), "second");
  rmSync(join(dir, "b"));
  await blocked.flushed();
  assert.equal(readFileSync(join(dir, "b", "x.json"), "utf8"), "second");
  const closed = await Promise.race([
    blocked.close().then(() => true),
    new Promise((resolve) => setTimeout(() => resolve(false), 5000)),
  ]);
  assert.ok(closed, "close() waits on no change left unsettled");
  assert.deepEqual(readdirSync(join(dir, ".journal")), []);
});

test("local: close gives up on a file that stays blocked, and the next start writes it from the journal", async () => {
  const dir = join(root, "stuck-store");
  const stuck = new LocalStore(dir, { closeTimeoutMs: 200 });
  await stuck.ready();
  writeFileSync(join(dir, "b"), "in the way");
  await stuck.put("b/x.json", "acknowledged");
  const closed = await Promise.race([
    stuck.close().then(() => true),
    new Promise((resolve) => setTimeout(() => resolve(false), 5000)),
  ]);
  assert.ok(closed, "close() returns while the file is still blocked");
  assert.equal(
    readdirSync(join(dir, ".journal")).length,
    1,
    "the segment holding the change is kept, the spare deleted",
  );
  rmSync(join(dir, "b"));
  const next = new LocalStore(dir);
  await next.ready();
  assert.equal(readFileSync(join(dir, "b", "x.json"), "utf8"), "acknowledged");
  await next.close();
  assert.deepEqual(readdirSync(join(dir, ".journal")), []);
});

const fileText = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let waited = 0; !ok(); waited += 10) {
    if (waited > 10_000) assert.fail(`${what}: not after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("local: a key re-written within a window reaches its file once more, with its last body", async () => {
  const dir = join(root, "window-store");
  const windowed = new LocalStore(dir, { rewriteWindowMs: 1000 });
  const file = join(dir, "w", "k.json");
  await windowed.put("w/k.json", "1");
  await windowed.put("w/k.json", "2");
  await windowed.put("w/k.json", "3");
  await until("the first body's file", () => fileText(file) === "1");
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(fileText(file), "1", "the later bodies wait for the window's end");
  assert.equal(new TextDecoder().decode((await windowed.get("w/k.json"))?.body), "3", "reads see the last body");
  await windowed.flushed();
  assert.equal(fileText(file), "3", "flushed() writes what the window holds");
  // Held again, then written when the window ends, without flushed().
  await windowed.put("w/k.json", "4");
  await windowed.put("w/k.json", "5");
  await until("the window's end", () => fileText(file) === "5");
  await windowed.close();
  assert.deepEqual(readdirSync(join(dir, ".journal")), []);
});

test("local: a change held for the window's end survives a crash (SIGKILL) through the journal", async () => {
  const dir = join(root, "window-crash");
  const file = join(dir, "w", "k.json");
  const child = `
    import { readFileSync } from "node:fs";
    import { LocalStore } from ${JSON.stringify(new URL("./local.ts", import.meta.url).pathname)};
    const store = new LocalStore(${JSON.stringify(dir)}, { rewriteWindowMs: 60_000 });
    await store.put("w/k.json", "first");
    while (true) { try { if (readFileSync(${JSON.stringify(file)}, "utf8") === "first") break; } catch {} await new Promise((r) => setTimeout(r, 5)); }
    await store.put("w/k.json", "held");
    process.kill(process.pid, "SIGKILL");
  `;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", child], {
    encoding: "utf8",
  });
  assert.equal(run.signal, "SIGKILL", run.stderr);
  assert.equal(fileText(file), "first", "the held change had not reached its file");
  const restarted = new LocalStore(dir);
  await restarted.ready();
  assert.equal(fileText(file), "held", "replayed from the journal");
  await restarted.close();
});
