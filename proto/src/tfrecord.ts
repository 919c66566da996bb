// TFRecord files: a sequence of `len u64le | masked_crc32c(len) | data | masked_crc32c(data)`.
// The reader streams (a file is never held in memory) and checks both checksums; the writer
// frames records onto a file or any writable stream.

import { constants } from "node:buffer";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { crc32c } from "@node-rs/crc32";

const HEADER = 12;
const FOOTER = 4;
const MASK_DELTA = 0xa282ead8;

/** TensorFlow's masked CRC32C, so that a CRC of data containing CRCs stays well distributed. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

// CRC32C (Castagnoli, reflected polynomial 0x82f63b78) in JS for the 8-byte length, where a native
// call costs more than the checksum itself.
const table = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function maskedLengthCrc(bytes: Uint8Array, at: number): number {
  let c = 0xffffffff;
  for (let i = at; i < at + 8; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  return ((((c >>> 15) | (c << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/**
 * A corrupt or truncated record. `offset` is where the damage is, as TensorFlow reports it: the
 * record's start for a bad length or a cut, its data for a data checksum mismatch.
 */
export class TFRecordError extends Error {
  override readonly name = "TFRecordError";
  constructor(
    reason: string,
    readonly offset: number,
    readonly recordOffset: number,
    readonly source?: string,
  ) {
    const where = offset === recordOffset ? "" : ` (record at byte offset ${recordOffset})`;
    super(`${source ? `${source}: ` : ""}${reason} at byte offset ${offset}${where}`);
  }
}

/** One record framed for a TFRecord file. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + data.length + FOOTER);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedLengthCrc(out, 0), 8);
  out.set(data, HEADER);
  out.writeUInt32LE(maskedCrc32c(data), HEADER + data.length);
  return out;
}

export type TFRecordSource = string | Readable | AsyncIterable<Uint8Array> | Uint8Array;

/**
 * Yields each record's data. A path is read in 1 MiB chunks. A record that fits in one chunk is
 * yielded as a view of that chunk, so copy it if you keep many small records from a huge file.
 */
export async function* readTFRecords(source: TFRecordSource): AsyncGenerator<Uint8Array> {
  const name = typeof source === "string" ? source : undefined;
  const reader = new ChunkReader(chunksOf(source));
  try {
    let offset = 0;
    for (;;) {
      const got = reader.buffered(HEADER) ?? (await reader.fill(HEADER));
      if (got === 0) return;
      if (got < HEADER) {
        throw new TFRecordError(`truncated record: ${got} of ${HEADER} header bytes`, offset, offset, name);
      }
      const header = reader.take(HEADER);
      if (header.readUInt32LE(8) !== maskedLengthCrc(header, 0)) {
        throw new TFRecordError("corrupt record length (CRC mismatch)", offset, offset, name);
      }
      const size = header.readUInt32LE(0) + header.readUInt32LE(4) * 2 ** 32;
      if (size > constants.MAX_LENGTH - FOOTER) {
        throw new TFRecordError(`record length ${size} is larger than this reader supports`, offset, offset, name);
      }
      const available = reader.buffered(size + FOOTER) ?? (await reader.fill(size + FOOTER));
      if (available < size + FOOTER) {
        throw new TFRecordError(
          `truncated record: ${size} data bytes + ${FOOTER} CRC bytes expected, the file ends after ${available}`,
          offset,
          offset,
          name,
        );
      }
      const body = reader.take(size + FOOTER);
      const data = body.subarray(0, size);
      if (body.readUInt32LE(size) !== maskedCrc32c(data)) {
        throw new TFRecordError(
          `corrupt record data (CRC mismatch in its ${size} bytes)`,
          offset + HEADER,
          offset,
          name,
        );
      }
      yield data;
      offset += HEADER + size + FOOTER;
    }
  } finally {
    await reader.close();
  }
}

function chunksOf(source: TFRecordSource): AsyncIterator<Uint8Array> {
  if (typeof source === "string") return createReadStream(source, { highWaterMark: 1 << 20 })[Symbol.asyncIterator]();
  if (source instanceof Uint8Array) return single(source);
  return source[Symbol.asyncIterator]();
}

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Buffers just enough of a chunk stream to hand out exact byte counts. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private head = 0; // read position in chunks[0]
  private available = 0;
  private done = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** `n` when that many bytes are already buffered (no await needed), else undefined. */
  buffered(n: number): number | undefined {
    return this.available >= n ? n : undefined;
  }

  /** Pulls chunks until `n` bytes are buffered or the source ends; returns the bytes buffered. */
  async fill(n: number): Promise<number> {
    while (this.available < n && !this.done) {
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value)
        ? next.value
        : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.available += chunk.length;
    }
    return Math.min(this.available, n);
  }

  /** Takes `n` buffered bytes: a view when they sit in one chunk, else one copy. */
  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const part = Math.min(n - filled, chunk.length - this.head);
      chunk.copy(out, filled, this.head, this.head + part);
      filled += part;
      this.advance(part);
    }
    return out;
  }

  private advance(n: number): void {
    this.available -= n;
    this.head += n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  async close(): Promise<void> {
    if (!this.done) await this.source.return?.();
  }
}

/** Writes framed records; `close()` resolves once every record is flushed (and fsynced, for a path). */
export class TFRecordWriter {
  private closed = false;

  private constructor(
    private readonly stream: Writable,
    private readonly ownsStream: boolean,
  ) {}

  /** Creates (or truncates) the file at `path`. */
  static async open(path: string): Promise<TFRecordWriter> {
    const stream = createWriteStream(path, { flush: true });
    await once(stream, "open");
    return new TFRecordWriter(stream, true);
  }

  /** Writes onto an existing stream; `close()` ends it. */
  static to(stream: Writable): TFRecordWriter {
    return new TFRecordWriter(stream, false);
  }

  /** Appends one record; waits when the stream asks for back-pressure. */
  async write(data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error("TFRecordWriter is closed");
    if (!this.stream.write(frameRecord(data))) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const finished = once(this.stream, this.ownsStream ? "close" : "finish");
    this.stream.end();
    await finished;
  }
}

/**
 * Writes all records to `path` atomically: into a temporary file beside it, fsynced, then renamed.
 * If anything fails, `path` is left as it was.
 */
export async function writeTFRecordFile(path: string, records: Iterable<Uint8Array> | AsyncIterable<Uint8Array>) {
  const temporary = `${path}.${process.pid}.${Date.now()}.partial`;
  const writer = await TFRecordWriter.open(temporary);
  try {
    try {
      for await (const record of records) await writer.write(record);
    } finally {
      await writer.close();
    }
    await rename(temporary, path);
  } catch (e) {
    await rm(temporary, { force: true });
    throw e;
  }
}
