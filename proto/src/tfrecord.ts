// TFRecord files: a sequence of `len u64le | masked_crc32c(len) | data | masked_crc32c(data)`.
// The reader streams (a file is never held in memory) and checks both checksums; the writer
// frames records onto a file or any writable stream.

import { constants } from "node:buffer";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Readable, Writable } from "node:stream";

const HEADER = 12;
const CHUNK = 256 * 1024;
const FOOTER = 4;
const MASK_DELTA = 0xa282ead8;

// CRC32C (Castagnoli, reflected polynomial 0x82f63b78). The native addon (@node-rs/crc32, SSE4.2)
// is used where its binary is installed; elsewhere (an arm64 Lambda bundle, which ships no addon)
// the same checksum is computed in JS, slicing by 8 bytes.
const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  tables[0]![n] = c >>> 0;
}
for (let n = 0; n < 256; n++) {
  for (let t = 1; t < 8; t++)
    tables[t]![n] = (tables[0]![tables[t - 1]![n]! & 0xff]! ^ (tables[t - 1]![n]! >>> 8)) >>> 0;
}
const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];
const table = t0;

/** CRC32C in JS: the fallback where the native addon is missing. */
export function crc32cJs(data: Uint8Array): number {
  let c = 0xffffffff;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function nativeCrc32c(): ((data: Uint8Array) => number) | undefined {
  try {
    return (createRequire(import.meta.url)("@node-rs/crc32") as { crc32c(data: Uint8Array): number }).crc32c;
  } catch {
    return undefined;
  }
}

const crc32c = nativeCrc32c() ?? crc32cJs;

/** TensorFlow's masked CRC32C, so that a CRC of data containing CRCs stays well distributed. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

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
  frameInto(out, 0, data);
  return out;
}

/** Frames `data` into `out` at `at`; returns the end offset. */
function frameInto(out: Buffer, at: number, data: Uint8Array): number {
  out.writeUInt32LE(data.length >>> 0, at);
  out.writeUInt32LE(Math.floor(data.length / 2 ** 32), at + 4);
  out.writeUInt32LE(maskedLengthCrc(out, at), at + 8);
  out.set(data, at + HEADER);
  out.writeUInt32LE(maskedCrc32c(data), at + HEADER + data.length);
  return at + HEADER + data.length + FOOTER;
}

export type TFRecordSource = string | Readable | AsyncIterable<Uint8Array> | Uint8Array;

/** At most this many records per batch, so a big in-memory source is not split into one huge array. */
const BATCH = 1024;

/**
 * Yields each record's data. A path is read in 1 MiB chunks. A record that fits in one chunk is
 * yielded as a view of that chunk, so copy it if you keep many small records from a huge file.
 */
export function readTFRecords(source: TFRecordSource): AsyncGenerator<Uint8Array, void, undefined> {
  return new RecordsOfBatches(readTFRecordBatches(source));
}

/**
 * Hands out a batch's records one by one. An async generator that loops over the batch would cost
 * a few promises per record, more than reading and checking a small record.
 */
class RecordsOfBatches implements AsyncGenerator<Uint8Array, void, undefined> {
  private batch: Uint8Array[] = [];
  private next_ = 0;
  private refilling: Promise<IteratorResult<Uint8Array, void>> | undefined;

  constructor(private readonly batches: AsyncGenerator<Uint8Array[], void, undefined>) {}

  next(): Promise<IteratorResult<Uint8Array, void>> {
    if (this.refilling) return this.refilling.then(() => this.next());
    if (this.next_ < this.batch.length) return Promise.resolve({ value: this.batch[this.next_++]!, done: false });
    this.refilling = this.refill().finally(() => {
      this.refilling = undefined;
    });
    return this.refilling;
  }

  private async refill(): Promise<IteratorResult<Uint8Array, void>> {
    for (;;) {
      const got = await this.batches.next();
      if (got.done) return { value: undefined, done: true };
      if (got.value.length > 0) {
        this.batch = got.value;
        this.next_ = 1;
        return { value: got.value[0]!, done: false };
      }
    }
  }

  async return(): Promise<IteratorResult<Uint8Array, void>> {
    this.batch = [];
    await this.batches.return();
    return { value: undefined, done: true };
  }

  async throw(e: unknown): Promise<IteratorResult<Uint8Array, void>> {
    this.batch = [];
    await this.batches.throw(e);
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Yields the records as arrays: every complete record of a chunk at once (up to 1024), so that a
 * file of small records costs one await per chunk rather than one per record. Records are views of
 * the chunk, as for `readTFRecords`. Records before a damaged one are yielded before the error.
 */
export async function* readTFRecordBatches(source: TFRecordSource): AsyncGenerator<Uint8Array[], void, undefined> {
  const framing = new Framing(typeof source === "string" ? source : undefined);
  const chunks = chunksOf(source);
  let done = false;
  let batch: Uint8Array[] = [];
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) {
        done = true;
        framing.end();
        return;
      }
      const chunk = asBuffer(next.value);
      let at = framing.completeCarried(chunk, batch);
      while (at < chunk.length) {
        at = framing.scan(chunk, at, batch);
        if (batch.length === BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
  } catch (e) {
    if (batch.length > 0 && e instanceof TFRecordError) yield batch;
    throw e;
  } finally {
    if (!done) await chunks.return?.();
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

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Cuts a stream of chunks into records. Records inside a chunk are read in place; the bytes of a
 * record that spans chunks are carried (only that record's) until it is complete, then copied once.
 */
class Framing {
  /** File offset of the next record. */
  private offset = 0;
  private carried: Buffer[] = [];
  private carriedBytes = 0;
  /** Data size of the carried record, once its header is complete; else -1. */
  private carriedSize = -1;

  constructor(private readonly name: string | undefined) {}

  /**
   * Parses the complete records in `chunk` from `at` into `batch`, until the batch is full. Returns
   * where it stopped; a record cut by the chunk's end is carried, and `chunk.length` returned.
   */
  scan(chunk: Buffer, at: number, batch: Uint8Array[]): number {
    const end = chunk.length;
    while (batch.length < BATCH) {
      if (end - at < HEADER) return this.carry(chunk, at, -1);
      const size = this.recordSize(chunk, at);
      const dataEnd = at + HEADER + size;
      if (dataEnd + FOOTER > end) return this.carry(chunk, at, size);
      const data = chunk.subarray(at + HEADER, dataEnd);
      if (chunk.readUInt32LE(dataEnd) !== maskedCrc32c(data)) throw this.corruptData(size);
      batch.push(data);
      this.offset += HEADER + size + FOOTER;
      at = dataEnd + FOOTER;
    }
    return at;
  }

  /** Completes a carried record with the start of `chunk`; returns how many bytes of it were used. */
  completeCarried(chunk: Buffer, batch: Uint8Array[]): number {
    if (this.carriedBytes === 0) return 0;
    if (this.carriedSize < 0) {
      const need = HEADER - this.carriedBytes;
      if (chunk.length < need) return this.carry(chunk, 0, -1);
      const header = Buffer.concat([...this.carried, chunk.subarray(0, need)], HEADER);
      this.carriedSize = this.recordSize(header, 0);
    }
    const total = HEADER + this.carriedSize + FOOTER;
    const need = total - this.carriedBytes;
    if (chunk.length < need) return this.carry(chunk, 0, this.carriedSize);
    const record = Buffer.concat([...this.carried, chunk.subarray(0, need)], total);
    const data = record.subarray(HEADER, total - FOOTER);
    if (record.readUInt32LE(total - FOOTER) !== maskedCrc32c(data)) throw this.corruptData(this.carriedSize);
    batch.push(data);
    this.offset += total;
    this.carried = [];
    this.carriedBytes = 0;
    this.carriedSize = -1;
    return need;
  }

  /** At the end of the stream: a carried record is a truncated one. */
  end(): void {
    if (this.carriedBytes === 0) return;
    if (this.carriedSize < 0) {
      throw this.error(`truncated record: ${this.carriedBytes} of ${HEADER} header bytes`, this.offset);
    }
    throw this.error(
      `truncated record: ${this.carriedSize} data bytes + ${FOOTER} CRC bytes expected, the file ends after ${this.carriedBytes - HEADER}`,
      this.offset,
    );
  }

  private carry(chunk: Buffer, at: number, size: number): number {
    if (at < chunk.length) {
      this.carried.push(chunk.subarray(at));
      this.carriedBytes += chunk.length - at;
      this.carriedSize = size;
    }
    return chunk.length;
  }

  /** The data size in the header at `at`, after checking the header's checksum. */
  private recordSize(bytes: Buffer, at: number): number {
    if (bytes.readUInt32LE(at + 8) !== maskedLengthCrc(bytes, at)) {
      throw this.error("corrupt record length (CRC mismatch)", this.offset);
    }
    const size = bytes.readUInt32LE(at) + bytes.readUInt32LE(at + 4) * 2 ** 32;
    if (size > constants.MAX_LENGTH - FOOTER) {
      throw this.error(`record length ${size} is larger than this reader supports`, this.offset);
    }
    return size;
  }

  private corruptData(size: number): TFRecordError {
    return new TFRecordError(
      `corrupt record data (CRC mismatch in its ${size} bytes)`,
      this.offset + HEADER,
      this.offset,
      this.name,
    );
  }

  private error(reason: string, offset: number): TFRecordError {
    return new TFRecordError(reason, offset, this.offset, this.name);
  }
}

/** Writes framed records; `close()` resolves once every record is flushed (and fsynced, for a path). */
export class TFRecordWriter {
  private closed = false;
  /** Small records are framed into one chunk and written together: a write per record costs more than the bytes. */
  private chunk = Buffer.allocUnsafe(CHUNK);
  private used = 0;

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
    const size = HEADER + data.length + FOOTER;
    if (this.used + size > this.chunk.length) await this.flush();
    if (size > this.chunk.length) await this.push(frameRecord(data));
    else this.used = frameInto(this.chunk, this.used, data);
  }

  /** Hands the records written so far to the stream. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK);
    this.used = 0;
    await this.push(full);
  }

  private async push(bytes: Buffer): Promise<void> {
    if (!this.stream.write(bytes)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
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
