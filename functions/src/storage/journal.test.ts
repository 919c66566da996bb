import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { decodeRecords, encodeRecord, Journal, type JournalOp, orphanSegments, pendingChanges } from "./journal.ts";
import { LocalStore } from "./local.ts";

const dir = mkdtempSync(join(tmpdir(), "boxloop-journal-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("records round-trip; a torn or corrupt tail is dropped", () => {
  const a = encodeRecord({ op: "put", key: "x/a.json", body: new TextEncoder().encode("{}"), micros: "1" });
  const b = encodeRecord({ op: "delete", key: "x/b.json" });
  const c = encodeRecord({ op: "put", key: "x/c.json", body: new Uint8Array(100), micros: "1" });
  assert.deepEqual(
    decodeRecords(Buffer.concat([a, b, c.subarray(0, 50)])).map((r) => r.key),
    ["x/a.json", "x/b.json"],
  );
  const corrupt = Buffer.from(c);
  corrupt[corrupt.length - 1] ^= 1;
  assert.deepEqual(
    decodeRecords(Buffer.concat([a, corrupt])).map((r) => r.key),
    ["x/a.json"],
  );
});

test("a dead process's journal is replayed on open: lost or torn files come back, deletes happen", async () => {
  const root = join(dir, "store");
  mkdirSync(join(root, ".journal"), { recursive: true });
  mkdirSync(join(root, "k"), { recursive: true });
  writeFileSync(join(root, "k", "torn.json"), ""); // what a power cut can leave after an unsynced rename
  writeFileSync(join(root, "k", "gone.json"), "old");
  // What a crash can leave mid-write: a key's temporary file, half-written.
  writeFileSync(join(root, "k", ".torn.json.tmp"), '{"v":');
  writeFileSync(join(root, "k", ".gone.json.tmp"), "ol");
  const records = [
    encodeRecord({
      op: "put",
      key: "k/torn.json",
      body: new TextEncoder().encode('{"v":1}'),
      micros: "1700000000000001",
    }),
    encodeRecord({ op: "put", key: "k/lost.json", body: new TextEncoder().encode("lost"), micros: "1700000000000002" }),
    encodeRecord({
      op: "put",
      key: "k/torn.json",
      body: new TextEncoder().encode('{"v":2}'),
      micros: "1700000000000003",
    }),
    encodeRecord({ op: "delete", key: "k/gone.json" }),
  ];
  const deadPid = 4_194_000; // above pid_max's default: no such process
  writeFileSync(join(root, ".journal", `${deadPid}-1-1.log`), Buffer.concat([...records, Buffer.from([1, 2, 3])]));
  const store = new LocalStore(root);
  await store.ready();
  assert.equal(readFileSync(join(root, "k", "torn.json"), "utf8"), '{"v":2}');
  assert.equal(readFileSync(join(root, "k", "lost.json"), "utf8"), "lost");
  assert.equal(
    (await store.head("k/torn.json"))?.etag,
    `"${(1700000000000003n).toString(16)}-7"`,
    "ETag from the journaled time",
  );
  assert.equal(await store.head("k/gone.json"), undefined);
  assert.deepEqual(readdirSync(join(root, "k")).sort(), ["lost.json", "torn.json"], "no temporary file left");
  assert.ok(!readdirSync(join(root, ".journal")).some((n) => n.startsWith(`${deadPid}-`)));
  await store.put("k/new.json", "n");
  await store.close();
  assert.deepEqual(readdirSync(join(root, ".journal")), [], "a clean close leaves no journal");
});

test("a failed write's bytes are written over: acknowledged records after it replay, the failed ones do not", async () => {
  const root = join(dir, "failing");
  const journalDir = join(root, ".journal");
  mkdirSync(journalDir, { recursive: true });
  const journal = new Journal(journalDir, root, 3_600_000);
  await journal.open();
  const put = (key: string, size = 1): JournalOp => ({ op: "put", key, body: new Uint8Array(size), micros: "1" });
  (await journal.append(put("k/a.json"))).done();
  const probe = await open(join(dir, "probe"), "w");
  type Write = (data: Buffer, offset: number, length: number, position: number) => Promise<unknown>;
  const handles = Object.getPrototypeOf(probe) as { write: Write };
  await probe.close();
  const write = handles.write;
  // The disk fills up in the next commit: its first half lands (b1 and b2 whole), then ENOSPC.
  handles.write = async function (this: FileHandle, data, offset, length, position) {
    handles.write = write;
    await write.call(this, data, offset, Math.floor(length / 2), position);
    throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  };
  const failed = [put("k/b1.json"), put("k/b2.json"), put("k/b3.json", 1000)].map((op) => journal.append(op));
  for (const append of failed) await assert.rejects(append, /ENOSPC/);
  // c's record is as long as b1's: it lands exactly over b1, and b2 follows on disk.
  (await journal.append(put("k/c1.json"))).done();
  const replayed = await pendingChanges(await orphanSegments(journalDir, () => true));
  assert.deepEqual([...replayed.keys()], ["k/a.json", "k/c1.json"]);
  await journal.close();
});

test("appends made just before close or abandon are written first: checkpointed, or kept for replay", async () => {
  const put = (key: string): JournalOp => ({ op: "put", key, body: new Uint8Array(1), micros: "1" });
  for (const end of ["close", "abandon"] as const) {
    const root = join(dir, `just-before-${end}`);
    const journalDir = join(root, ".journal");
    mkdirSync(journalDir, { recursive: true });
    const journal = new Journal(journalDir, root, 3_600_000);
    await journal.open();
    const appends = [journal.append(put("k/x.json")), journal.append(put("k/y.json"))];
    const ended = journal[end]();
    for (const ticket of await Promise.all(appends)) ticket.done();
    await ended;
    const kept = await pendingChanges(await orphanSegments(journalDir, () => true));
    assert.deepEqual([...kept.keys()], end === "close" ? [] : ["k/x.json", "k/y.json"], end);
  }
});
