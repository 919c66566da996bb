// TFRecord write and read throughput against moving the same bytes through fs streams in the same
// run (same chunking, same fsync on close), best of 5 rounds. Goal: at least 0.5x the fs speed.

import { randomFillSync } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTFRecords, TFRecordWriter } from "@boxloop/proto/tfrecord";

const dir = await mkdtemp(join(tmpdir(), "bench-tfrecord-"));
const rounds = 5;

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

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

const best = (xs: number[]) => Math.min(...xs);

try {
  for (const [label, size, count] of [
    ["100 KiB records (JPEG-sized examples)", 100 << 10, 1280],
    ["1 KiB records", 1 << 10, 65536],
  ] as const) {
    const records = Array.from({ length: count }, () => randomFillSync(Buffer.allocUnsafe(size)));
    const mb = (size * count) / 1e6;
    const raw = join(dir, "raw.bin");
    const tf = join(dir, "data.tfrecord");
    const t = { rawWrite: [] as number[], tfWrite: [] as number[], rawRead: [] as number[], tfRead: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      t.rawWrite.push(await time(() => rawWrite(raw, records)));
      t.tfWrite.push(await time(() => tfWrite(tf, records)));
      t.rawRead.push(await time(() => rawRead(raw)));
      t.tfRead.push(await time(() => tfRead(tf)));
    }
    const speed = (k: keyof typeof t) => mb / best(t[k]);
    const overhead = ((await stat(tf)).size - (await stat(raw)).size) / 1e6;
    console.log(
      `${label}: ${count} records, ${mb.toFixed(0)} MB of data (+${overhead.toFixed(1)} MB framing), best of ${rounds} (the machine is shared, so the fastest round is the least disturbed)`,
    );
    console.log(
      `  write: TFRecord ${speed("tfWrite").toFixed(0)} MB/s, fs stream ${speed("rawWrite").toFixed(0)} MB/s, ratio ${(speed("tfWrite") / speed("rawWrite")).toFixed(2)}x`,
    );
    console.log(
      `  read:  TFRecord ${speed("tfRead").toFixed(0)} MB/s, fs stream ${speed("rawRead").toFixed(0)} MB/s, ratio ${(speed("tfRead") / speed("rawRead")).toFixed(2)}x`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
