// The local store's write-ahead journal, for durable writes without an fsync per object.
// Every mutation is appended here and acknowledged after one synchronous write shared by all the
// mutations appended in a turn of the event loop (group commit): segments are opened with O_DSYNC,
// so a write returns once its data is on disk, as a write and an fdatasync would, in one call
// through libuv's pool instead of two (each waits for a turn of the busy event loop: commits took a
// third longer, ~4 ms at the median under PUT load). The object files are written behind (not
// fsynced). Once a second the journal is rotated, and when every change it holds is in the files,
// the file system is synced (`sync -f`) and the old journal deleted. On start, journals left by dead
// processes are replayed.
// Record: u32 header length | u32 body length | u32 crc32(header+body) | header JSON | body.
// Every write ends with an end mark (12 zero bytes, a record with no header) and the next write starts
// over it: replay stops at the mark, so the bytes of a failed write beyond it (disk full, say) are
// never read. Without it, the next write's records, acknowledged, would follow a torn one and be dropped.
import { constants } from "node:fs";
import { type FileHandle, open, readdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { syncFileSystem } from "./fs-sync.ts";

/** `micros`: the object's modification time in µs, which its ETag is made from. */
export type JournalOp = { op: "put"; key: string; body: Uint8Array; micros: string } | { op: "delete"; key: string };

/** Marks a journaled change as written to its object file. */
export interface Ticket {
  done(): void;
}

/**
 * An object of its own rather than a closure in `append`: a closure would keep `append`'s whole
 * context, record and body included, until the change is in its file (seconds behind, under load),
 * and all of that would be promoted to the old generation for full collections to sweep.
 */
class SegmentTicket implements Ticket {
  private pending = true;

  constructor(private readonly segment: Segment) {}

  done(): void {
    if (this.pending) this.segment.unapplied--;
    this.pending = false;
  }
}

export function encodeRecord(record: JournalOp): Buffer {
  const header = Buffer.from(
    JSON.stringify(record.op === "put" ? { op: "put", key: record.key, micros: record.micros } : record),
  );
  const body = record.op === "put" ? record.body : new Uint8Array(0);
  const out = Buffer.allocUnsafe(12 + header.length + body.byteLength);
  out.writeUInt32LE(header.length, 0);
  out.writeUInt32LE(body.byteLength, 4);
  out.writeUInt32LE(crc32(body, crc32(header)) >>> 0, 8);
  out.set(header, 12);
  out.set(body, 12 + header.length);
  return out;
}

const endMark = Buffer.alloc(12);

/** The whole records of a journal, up to its end mark or a torn or corrupt record (a crash mid-append). */
export function decodeRecords(data: Buffer): JournalOp[] {
  const out: JournalOp[] = [];
  let at = 0;
  while (at + 12 <= data.length) {
    const headerLength = data.readUInt32LE(at);
    const bodyLength = data.readUInt32LE(at + 4);
    const end = at + 12 + headerLength + bodyLength;
    if (headerLength === 0 || end > data.length) break;
    const header = data.subarray(at + 12, at + 12 + headerLength);
    const body = data.subarray(at + 12 + headerLength, end);
    if (crc32(body, crc32(header)) >>> 0 !== data.readUInt32LE(at + 8)) break;
    const { op, key, micros } = JSON.parse(header.toString()) as { op: string; key: string; micros?: string };
    out.push(
      op === "put" ? { op: "put", key, body: new Uint8Array(body), micros: micros ?? "0" } : { op: "delete", key },
    );
    at = end;
  }
  return out;
}

interface Segment {
  gen: number;
  path: string;
  handle: FileHandle;
  bytes: number;
  /** Records written to this segment whose object change is not yet applied. */
  unapplied: number;
}

export class Journal {
  private segment: Segment | undefined;
  private gen = 0;
  private queue: { data: Buffer; resolve: (s: Segment) => void; reject: (e: unknown) => void }[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private checkpointing: Promise<void> | undefined;
  /** The next segment, made ahead so that a rotation does not hold appends for its folder's fsync. */
  private spare: Promise<Segment> | undefined;
  /** `abandon` was called: segments stay for replay. */
  private abandoned = false;

  constructor(
    private readonly dir: string,
    private readonly root: string,
    private readonly intervalMs = 1000,
  ) {}

  async open(): Promise<void> {
    this.segment = await this.newSegment();
    this.spare = this.prepare();
    this.timer = setInterval(() => void this.checkpoint().catch(() => {}), this.intervalMs);
    this.timer.unref();
  }

  private async newSegment(): Promise<Segment> {
    const gen = ++this.gen;
    const path = join(this.dir, `${process.pid}-${Date.now()}-${gen}.log`);
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC);
    // The segment's name must survive a machine crash too: its records' sync does not cover the folder.
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return { gen, path, handle, bytes: 0, unapplied: 0 };
  }

  private prepare(): Promise<Segment> {
    const next = this.newSegment();
    next.catch(() => {});
    return next;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.chain.then(fn);
    this.chain = result.catch(() => {});
    return result;
  }

  /** Makes `record` durable; the ticket must be marked done once the change is in the object file. */
  async append(record: JournalOp): Promise<Ticket> {
    const data = encodeRecord(record);
    return new SegmentTicket(
      await new Promise<Segment>((resolve, reject) => {
        this.queue.push({ data, resolve, reject });
        if (!this.scheduled) {
          this.scheduled = true;
          // Written at the end of the event loop's turn, with every append of the turn: under load a
          // turn takes milliseconds, and writing at the first append left the turn's later ones for
          // the next write, a turn later.
          setImmediate(() => void this.exclusive(() => this.flush()));
        }
      }),
    );
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      const segment = this.segment;
      try {
        if (segment === undefined) throw new Error("the journal is closed");
        const data = Buffer.concat([...batch.map((b) => b.data), endMark]);
        // A short write would leave a torn record: the rest is written on.
        for (let at = 0; at < data.length; ) {
          const { bytesWritten } = await segment.handle.write(data, at, data.length - at, segment.bytes + at);
          if (bytesWritten === 0) throw new Error(`journal ${segment.path}: nothing written`);
          at += bytesWritten;
        }
        segment.bytes += data.length - endMark.length;
        segment.unapplied += batch.length;
        for (const b of batch) b.resolve(segment);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
  }

  /** Rotates the journal, syncs the file system once the old segment's changes are applied, deletes it. */
  checkpoint(): Promise<void> {
    this.checkpointing ??= (async () => {
      const old = await this.exclusive(async () => {
        if (this.segment === undefined || this.segment.bytes === 0) return undefined;
        const previous = this.segment;
        const next = this.spare ?? this.newSegment();
        this.spare = undefined;
        this.segment = await next;
        this.spare = this.prepare();
        return previous;
      });
      if (old === undefined) return;
      while (old.unapplied > 0 && !this.abandoned) await new Promise((resolve) => setTimeout(resolve, 2));
      await old.handle.close();
      if (this.abandoned) return;
      await syncFileSystem(this.root);
      await unlink(old.path);
    })().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  /** Resolves once a flush scheduled before the call has joined the chain (see `append`). */
  private scheduledFlush(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.scheduledFlush();
    await this.checkpoint();
    await this.stop(false);
  }

  /** Stops without a checkpoint: every segment holding records stays for the next start's replay. */
  async abandon(): Promise<void> {
    clearInterval(this.timer);
    this.abandoned = true;
    await this.scheduledFlush();
    await this.chain;
    // A checkpoint that failed leaves its segment too: nothing more to do about it here.
    await this.checkpointing?.catch(() => {});
    await this.stop(true);
  }

  /** Closes the current and the spare segment, deleting them unless `keepRecords` and they hold some. */
  private async stop(keepRecords: boolean): Promise<void> {
    const segment = this.segment;
    this.segment = undefined;
    const spare = await this.spare?.catch(() => undefined);
    this.spare = undefined;
    for (const open of [segment, spare]) {
      if (open === undefined) continue;
      await open.handle.close();
      if (!keepRecords || open.bytes === 0) await unlink(open.path).catch(() => {});
    }
  }
}

/** Segments left by processes that are gone, oldest first. */
export async function orphanSegments(dir: string, alive: (pid: number) => boolean): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((name) => name.endsWith(".log"))
    .map((name) => ({ name, parts: name.slice(0, -4).split("-").map(Number) }))
    .filter(({ parts }) => parts.length === 3 && (parts[0] === process.pid || !alive(parts[0]!)))
    .sort((a, b) => a.parts[1]! - b.parts[1]! || a.parts[2]! - b.parts[2]!)
    .map(({ name }) => join(dir, name));
}

/** The last change of each key in `segments`, in order. */
export async function pendingChanges(segments: string[]): Promise<Map<string, JournalOp>> {
  const last = new Map<string, JournalOp>();
  for (const path of segments) for (const record of decodeRecords(await readFile(path))) last.set(record.key, record);
  return last;
}
