// TFRecord write and read throughput against moving the same bytes through fs streams in the same
// run (same chunking, same fsync on close), best and median of 7 rounds. Goal: at least 0.5x the fs
// speed. The "floor" line costs what any reader that checks every record must pay: the fs stream
// plus one native CRC32C call per record-sized slice of each chunk, with no framing at all.

import { randomFillSync } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { maskedCrc32c, readTFRecordBatches, readTFRecords, TFRecordWriter } from "@boxloop/proto/tfrecord";

const dir = await mkdtemp(join(tmpdir(), "bench-tfrecord-"));
const rounds = 7;

async function rawWrite(path: string, records: Uint8Array[]) {
  const out = createWriteStream(path, { flush: true });
  await once(out, "open");
  for (const r of records) if (!out.write(r)) await once(out, "drain");
  const closed = once(out, "close");
  out.end();
  await closed;
}

async function rawRead(path: string) {
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) n += (chunk as Buffer).length;
  return n;
}

/** The baseline: copying the same bytes with fs (read stream into a durable write stream). */
async function rawCopy(from: string, to: string) {
  const out = createWriteStream(to, { flush: true });
  await once(out, "open");
  for await (const chunk of createReadStream(from, { highWaterMark: 1 << 20 }))
    if (!out.write(chunk)) await once(out, "drain");
  const closed = once(out, "close");
  out.end();
  await closed;
}

async function tfWrite(path: string, records: Uint8Array[]) {
  const writer = await TFRecordWriter.open(path);
  for (const r of records) await writer.write(r);
  await writer.close();
}

async function tfRead(path: string) {
  let n = 0;
  for await (const r of readTFRecords(path)) n += r.length;
  return n;
}

async function tfReadBatches(path: string) {
  let n = 0;
  for await (const batch of readTFRecordBatches(path)) for (const r of batch) n += r.length;
  return n;
}

async function rawReadCrc(path: string, size: number) {
  let n = 0;
  const framed = size + 16;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    for (let at = 0; at + framed <= b.length; at += framed) n ^= maskedCrc32c(b.subarray(at + 12, at + 12 + size));
  }
  return n;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

try {
  for (const [label, size, count] of [
    ["100 KiB records (JPEG-sized examples)", 100 << 10, 1280],
    ["1 KiB records", 1 << 10, 65536],
  ] as const) {
    const records = Array.from({ length: count }, () => randomFillSync(Buffer.allocUnsafe(size)));
    const mb = (size * count) / 1e6;
    const raw = join(dir, "raw.bin");
    const tf = join(dir, "data.tfrecord");
    const t = {
      rawWrite: [] as number[],
      tfWrite: [] as number[],
      rawRead: [] as number[],
      tfRead: [] as number[],
      tfReadBatches: [] as number[],
      rawReadCrc: [] as number[],
      rawCopy: [] as number[],
    };
    for (let i = 0; i < rounds; i++) {
      t.rawWrite.push(await time(() => rawWrite(raw, records)));
      t.tfWrite.push(await time(() => tfWrite(tf, records)));
      t.rawRead.push(await time(() => rawRead(raw)));
      t.tfRead.push(await time(() => tfRead(tf)));
      t.tfReadBatches.push(await time(() => tfReadBatches(tf)));
      t.rawReadCrc.push(await time(() => rawReadCrc(tf, size)));
      t.rawCopy.push(await time(() => rawCopy(raw, join(dir, "copy.bin"))));
    }
    const overhead = ((await stat(tf)).size - (await stat(raw)).size) / 1e6;
    console.log(
      `${label}: ${count} records, ${mb.toFixed(0)} MB of data (+${overhead.toFixed(1)} MB framing), ${rounds} rounds; best (median) speed and ratio to fs (the machine is shared: the best round is the least disturbed)`,
    );
    const line = (name: string, k: keyof typeof t, base: keyof typeof t) => {
      const b = mb / best(t[k]);
      const m = mb / median(t[k]);
      const ratio = best(t[base]) / best(t[k]);
      const ratioMedian = median(t[base]) / median(t[k]);
      console.log(
        `  ${name.padEnd(36)} ${b.toFixed(0).padStart(5)} MB/s (${m.toFixed(0)}), ratio ${ratio.toFixed(2)}x (${ratioMedian.toFixed(2)}x)`,
      );
    };
    line("write: fs stream", "rawWrite", "rawWrite");
    line("write: TFRecordWriter", "tfWrite", "rawWrite");
    line("read:  fs stream", "rawRead", "rawRead");
    line("read:  readTFRecords", "tfRead", "rawRead");
    line("read:  readTFRecordBatches", "tfReadBatches", "rawRead");
    line("read:  floor, fs read + CRC32C/record", "rawReadCrc", "rawRead");
    console.log("  against copying the same bytes with fs (the issue's baseline):");
    line("copy:  fs read stream → write stream", "rawCopy", "rawCopy");
    line("write: TFRecordWriter", "tfWrite", "rawCopy");
    line("read:  readTFRecords", "tfRead", "rawCopy");
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
