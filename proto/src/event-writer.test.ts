import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type Event, type EventSink, EventWriter, readEvents } from "./event-writer.ts";

async function events(path: string): Promise<Event[]> {
  const out: Event[] = [];
  for await (const e of readEvents(path)) out.push(e);
  return out;
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), "events-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("an event file starts with brain.Event:2 and holds scalars and images", async () => {
  await withDir(async (dir) => {
    const writer = await EventWriter.create(join(dir, "train"), { now: () => 1_700_000_000_500 });
    assert.match(writer.fileName, /^events\.out\.tfevents\.1700000000\.[^.]+/);
    writer.scalar("loss/total", 1.5, 10);
    writer.scalar("loss/total", 0.25, 20);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    writer.image("predictions/0", { encoded: png, width: 4, height: 2 }, 20);
    await writer.close();
    assert.deepEqual(await readdir(join(dir, "train")), [writer.fileName]);

    const all = await events(join(dir, "train", writer.fileName));
    assert.equal(all[0]!.what.case, "fileVersion");
    assert.equal(all[0]!.what.value, "brain.Event:2");
    assert.equal(all[0]!.wallTime, 1_700_000_000.5);
    const values = all.slice(1).map((e) => {
      assert.ok(e.what.case === "summary");
      const [v] = e.what.value.value;
      return [e.step, v!.tag, v!.value.case, v!.value.value] as const;
    });
    assert.deepEqual(values.slice(0, 2), [
      [10n, "loss/total", "simpleValue", 1.5],
      [20n, "loss/total", "simpleValue", 0.25],
    ]);
    const image = values[2]!;
    assert.equal(image[1], "predictions/0");
    assert.ok(image[2] === "image");
    const img = image[3] as { width: number; height: number; colorspace: number; encodedImageString: Uint8Array };
    assert.deepEqual([img.width, img.height, img.colorspace], [4, 2, 3]);
    assert.deepEqual(Buffer.from(img.encodedImageString), Buffer.from(png));
  });
});

test("buffered events reach the file on the flush timer, before close", async () => {
  await withDir(async (dir) => {
    const writer = await EventWriter.create(dir, { flushIntervalMs: 20 });
    const path = join(dir, writer.fileName);
    const before = (await readFile(path)).length;
    writer.scalar("x", 1, 1);
    assert.equal((await readFile(path)).length, before, "not written before a flush");
    // The timer flushes within a few intervals; allow for a loaded machine, but not for close().
    const deadline = Date.now() + 5000;
    const count = () =>
      events(path).then(
        (e) => e.length,
        () => 0,
      ); // a read may race an append
    while ((await count()) < 2 && Date.now() < deadline) await sleep(20);
    assert.equal((await events(path)).length, 2);
    await writer.close();
    assert.throws(() => writer.scalar("x", 2, 2), /closed/);
  });
});

test("a failing sink surfaces its error on flush and close", async () => {
  let appends = 0;
  const sink: EventSink = {
    async append() {
      appends++;
      if (appends > 1) throw new Error("disk full");
    },
  };
  const writer = await EventWriter.create(sink, { flushIntervalMs: 60_000 });
  writer.scalar("x", 1, 1);
  await assert.rejects(writer.flush(), /disk full/);
  assert.throws(() => writer.scalar("x", 2, 2), /disk full/);
  await assert.rejects(writer.close(), /disk full/);
});
