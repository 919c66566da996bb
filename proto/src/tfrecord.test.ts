import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { test } from "node:test";
import { crc32c as nativeCrc } from "@node-rs/crc32";
import fc from "fast-check";
import {
  crc32cJs,
  frameRecord,
  maskedCrc32c,
  readTFRecordBatches,
  readTFRecords,
  TFRecordError,
  TFRecordWriter,
  writeTFRecordFile,
} from "./tfrecord.ts";

async function collect(source: Parameters<typeof readTFRecords>[0]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const r of readTFRecords(source)) out.push(Buffer.from(r));
  return out;
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), "tfrecord-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");

test("masked CRC32C equals the one TensorFlow wrote in a real TFRecord header", async () => {
  const header = (await readFile(join(raccoon, "data", "test.record"))).subarray(0, 12);
  assert.equal(maskedCrc32c(header.subarray(0, 8)), header.readUInt32LE(8));
});

test("records written to a file read back identical, in order", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "a.tfrecord");
    const records = [Buffer.from("hello"), Buffer.alloc(0), Buffer.alloc(3 << 20, 7), Buffer.from([0, 1, 2])];
    await writeTFRecordFile(path, records);
    const bytes = await readFile(path);
    assert.equal(
      bytes.length,
      records.reduce((n, r) => n + r.length + 16, 0),
    );
    assert.deepEqual(await collect(path), records);
  });
});

test("property: any records round-trip through any chunking of the stream", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.integer({ min: 1, max: 64 }),
      async (records, chunkSize) => {
        const file = Buffer.concat(records.map((r) => frameRecord(r)));
        const chunks: Buffer[] = [];
        for (let i = 0; i < file.length; i += chunkSize) chunks.push(file.subarray(i, i + chunkSize));
        const back = await collect(Readable.from(chunks));
        assert.deepEqual(
          back,
          records.map((r) => Buffer.from(r)),
        );
      },
    ),
    { numRuns: 100 },
  );
});

test("a writer on a stream frames records and ends the stream on close", async () => {
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on("data", (b: Buffer) => parts.push(b));
  const writer = TFRecordWriter.to(sink);
  await writer.write(Buffer.from("x"));
  await writer.close();
  assert.deepEqual(await collect(Buffer.concat(parts)), [Buffer.from("x")]);
  await assert.rejects(writer.write(Buffer.from("y")), /closed/);
});

test("a flipped byte in the data is reported with the record's offset", async () => {
  const first = frameRecord(Buffer.from("first record"));
  const second = frameRecord(Buffer.from("second record"));
  const file = Buffer.concat([first, second]);
  file[first.length + 14] ^= 0x01; // inside the second record's data
  const seen: Buffer[] = [];
  await assert.rejects(
    (async () => {
      for await (const r of readTFRecords(file)) seen.push(Buffer.from(r));
    })(),
    (e: unknown) => {
      assert.ok(e instanceof TFRecordError);
      assert.equal(e.offset, first.length + 12, "the data's offset, as TensorFlow reports it");
      assert.equal(e.recordOffset, first.length);
      assert.match(
        e.message,
        new RegExp(
          `corrupt record data .* at byte offset ${first.length + 12} \\(record at byte offset ${first.length}\\)`,
        ),
      );
      return true;
    },
  );
  assert.deepEqual(seen, [Buffer.from("first record")]);
});

test("a flipped byte in the length is reported as a corrupt length", async () => {
  const file = Buffer.concat([frameRecord(Buffer.from("a")), frameRecord(Buffer.from("b"))]);
  file[17 + 3] ^= 0x80;
  await assert.rejects(
    collect(file),
    (e: unknown) => e instanceof TFRecordError && e.offset === 17 && /length/.test(e.message),
  );
});

test("a truncated file gives a clear error naming the file and offset", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "cut.tfrecord");
    const whole = Buffer.concat([frameRecord(Buffer.alloc(100, 1)), frameRecord(Buffer.alloc(100, 2))]);
    for (const cut of [whole.length - 1, whole.length - 60, 116 + 5]) {
      await writeFile(path, whole.subarray(0, cut));
      await assert.rejects(collect(path), (e: unknown) => {
        assert.ok(e instanceof TFRecordError);
        assert.equal(e.offset, 116);
        assert.match(e.message, /truncated/);
        assert.ok(e.message.startsWith(path));
        return true;
      });
    }
  });
});

test("writing a file is atomic: a failing source leaves no file behind", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "x.tfrecord");
    async function* failing() {
      yield Buffer.from("one");
      throw new Error("source broke");
    }
    await assert.rejects(writeTFRecordFile(path, failing()), /source broke/);
    assert.deepEqual(await readdir(dir), []);
  });
});

test("an empty file has no records", async () => {
  assert.deepEqual(await collect(new Uint8Array(0)), []);
});

test("property: a length header checksummed by native CRC32C is accepted by the reader's own check", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 8, maxLength: 8 }), async (length) => {
      const header = Buffer.alloc(12);
      header.set(length, 0);
      header.writeUInt32LE(maskedCrc32c(length), 8);
      // Past the length check, the (random) length cannot be satisfied: the error must be about that.
      await assert.rejects(collect(header), (e: unknown) => {
        assert.ok(e instanceof TFRecordError);
        assert.doesNotMatch(e.message, /corrupt record length/);
        return true;
      });
    }),
    { numRuns: 300 },
  );
});

test("reading streams: 512 MiB of records pass through with a small, bounded amount of memory", async () => {
  const payload = Buffer.alloc(1 << 20, 1);
  function* records() {
    for (let i = 0; i < 512; i++) yield frameRecord(payload);
  }
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  let total = 0;
  for await (const r of readTFRecords(Readable.from(records()))) {
    total += r.length;
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
  }
  assert.equal(total, 512 << 20);
  assert.ok(peak < 160e6, `memory grew by ${(peak / 1e6).toFixed(0)} MB while reading 537 MB`);
});

test("batches hold a chunk's complete records, at most 1024, in file order", async () => {
  const records = Array.from({ length: 3000 }, (_, i) => Buffer.from(`record ${i}`));
  const file = Buffer.concat(records.map((r) => frameRecord(r)));
  const sizes: number[] = [];
  const back: Buffer[] = [];
  for await (const batch of readTFRecordBatches(file)) {
    sizes.push(batch.length);
    for (const r of batch) back.push(Buffer.from(r));
  }
  assert.deepEqual(sizes, [1024, 1024, 952]);
  assert.deepEqual(back, records);

  // Split into two chunks in the middle of record 10: the first batch ends before it, the second starts with it.
  const cut = records.slice(0, 10).reduce((n, r) => n + r.length + 16, 0) + 5;
  const perChunk: number[] = [];
  for await (const batch of readTFRecordBatches(Readable.from([file.subarray(0, cut), file.subarray(cut)]))) {
    perChunk.push(batch.length);
  }
  assert.deepEqual(perChunk, [10, 1024, 1024, 942]);
});

test("stopping early closes the source", async () => {
  let closed = false;
  async function* source() {
    try {
      for (let i = 0; i < 5; i++) yield frameRecord(Buffer.from([i]));
    } finally {
      closed = true;
    }
  }
  for await (const r of readTFRecords(source())) {
    assert.deepEqual(Buffer.from(r), Buffer.from([0]));
    break;
  }
  assert.ok(closed);
});

test("records come in order even when next() is called again before the last one settled", async () => {
  const chunks = [0, 2].map((i) => Buffer.concat([frameRecord(Buffer.from([i])), frameRecord(Buffer.from([i + 1]))]));
  const it = readTFRecords(Readable.from(chunks));
  const got = await Promise.all([it.next(), it.next(), it.next(), it.next(), it.next()]);
  assert.deepEqual(
    got.map((r) => (r.done ? "done" : r.value[0])),
    [0, 1, 2, 3, "done"],
  );
});

test("the JS CRC32C (the arm64 Lambda's fallback) equals the native one and the standard check value", () => {
  assert.equal(crc32cJs(new TextEncoder().encode("123456789")), 0xe3069283);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => crc32cJs(bytes) === nativeCrc(bytes)));
});
