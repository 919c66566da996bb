// The local-directory store, the embedded default of `boxloop start`: one file per object under
// `root`, written by one process at a time (others may read).
// A write is acknowledged once it is durable in the write-ahead journal (journal.ts: one synchronous
// write for all the writes waiting at that moment). The object file is written behind, on a worker thread
// (file-writer.ts), by a temporary file renamed into place, so no file is ever half-written; until
// then reads are served from memory. A key that keeps changing has its file written at most once a
// second (`rewriteWindowMs`): replacing a file is the costly case on ext4 with online discard.
// A restart replays whatever a crash left in the journal, before the first request.
// Soft writes (`durable: false`, e.g. leases) stay in this process's memory and never reach a file:
// they are gone after a restart, as the port allows, and cost no disk work at all.
// Conditional writes (If-None-Match: *, If-Match) are atomic: every change of a key is serialized.
// ETags are the object's modification time in µs and its size; each write picks a new time and
// stamps it on the file, so an ETag is known before the file is written and changes on every write.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type FileJob, FileWriter } from "./file-writer.ts";
import { syncFileSystem } from "./fs-sync.ts";
import { HalfLifeCache } from "./half-life-cache.ts";
import { hmacSha256 } from "./hmac.ts";
import { Journal, orphanSegments, pendingChanges, type Ticket } from "./journal.ts";
import { assertKey, assertPrefix, assertScope, isScopeOf, keyPath } from "./key.ts";
import {
  type ListPage,
  type ObjectInfo,
  type PutOptions,
  StorageError,
  type Store,
  type StoreChange,
  type StoredObject,
} from "./port.ts";

export interface LocalStoreOptions {
  /** Signs presigned URLs; random per process by default (URLs then die with the process). */
  secret?: string;
  /** Prefix of presigned URLs, e.g. `http://127.0.0.1:8787`; default none (a path). */
  baseUrl?: string;
  /** Path at which the app serves presigned requests (see `blob-routes.ts`). */
  blobPath?: string;
  /** Writes waiting to reach their files before new writes wait. @default 50_000 */
  maxPending?: number;
  /** A key's file is written at most once in this time while the key keeps changing (see `schedule`). @default 1000 */
  rewriteWindowMs?: number;
  /** How long `close` waits for changes to reach their files before it leaves them to the journal. @default 30000 */
  closeTimeoutMs?: number;
}

type FileStats = { mtimeNs: bigint; size: bigint; isFile(): boolean };

/** A change acknowledged but not yet in its file (or, when `soft`, never to be): `body` null for a delete. */
interface Pending {
  body: Uint8Array | null;
  micros: bigint;
  /** The body's ETag (computed once: tasks:next compares and announces it on every lease). */
  etag: string | undefined;
  seq: number;
  tickets: Ticket[];
  soft: boolean;
}

/** Shared by the changes no journal record waits on (soft ones): never added to. */
const noTickets: Ticket[] = [];

/** The folder of a key: up to its last `/`. */
const folderOf = (key: string) => key.slice(0, key.lastIndexOf("/"));
/** Joined rather than a template, which makes a tree of strings: five objects for the heap per ETag, one per lease. */
const etag = (micros: bigint, size: number | bigint) =>
  ['"', micros.toString(16), "-", size.toString(16), '"'].join("");
const microsOf = (s: FileStats) => s.mtimeNs / 1000n;

function fileInfo(key: string, s: FileStats): ObjectInfo {
  const micros = microsOf(s);
  return { key, etag: etag(micros, s.size), size: Number(s.size), lastModified: new Date(Number(micros / 1000n)) };
}

/** A pending put's info (not a delete's). */
function pendingInfo(key: string, p: Pending): ObjectInfo {
  return { key, etag: p.etag!, size: p.body!.byteLength, lastModified: new Date(Number(p.micros / 1000n)) };
}

/** Whether a put has a condition to check (an unconditional one need not look up the current version). */
const conditional = (options: PutOptions) => options.ifMatch !== undefined || options.ifNoneMatch !== undefined;

function isCode(error: unknown, ...codes: string[]): boolean {
  return typeof error === "object" && error !== null && codes.includes((error as { code?: string }).code ?? "");
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isCode(error, "EPERM");
  }
}

export class LocalStore implements Store {
  /** `root` and a `/`. */
  private readonly rootSlash: string;
  private readonly journalDir: string;
  private readonly journal: Journal;
  private readonly hmac: (message: string) => string;
  /** Signed queries of scopes by method, lifetime and scope (see `scopeQuery`). */
  private readonly scopeQueries = new HalfLifeCache(1000);
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly pending = new Map<string, Pending>();
  /** The keys of `pending` by folder (the key up to its last `/`), so listings need not scan them all. */
  private readonly pendingByDir = new Map<string, Set<string>>();
  private readonly toApply = new Set<string>();
  private readonly applying = new Set<string>();
  /** Keys sent to the file writer in the current window (see `schedule`). */
  private readonly recent = new Set<string>();
  /** Changes of `recent` keys, held for the next window. */
  private readonly deferred = new Set<string>();
  private windowTimer: NodeJS.Timeout | undefined;
  private readonly missingDirs = new Set<string>();
  private readonly watchers = new Set<(change: StoreChange) => void>();
  private init: Promise<void> | undefined;
  /** `ready()` has finished: hot paths then skip awaiting it. */
  private opened = false;
  /** `close` gave up on the files: no more batches go to the file writer. */
  private stopped = false;
  private lastMicros = 0n;
  private seq = 0;
  private failures = 0;
  /** Batches at the file writer. */
  private batches = 0;
  private readonly files = new FileWriter();

  constructor(
    readonly root: string,
    private readonly options: LocalStoreOptions = {},
  ) {
    this.rootSlash = join(root, "/");
    this.journalDir = join(root, ".journal");
    this.journal = new Journal(this.journalDir, root);
    this.hmac = hmacSha256(options.secret ?? randomBytes(32).toString("hex"));
  }

  /**
   * Creates the journal's folder and replays journals left by crashed processes (which also replaces
   * the temporary files a crash left: one per key, see file-writer-worker.mjs).
   */
  ready(): Promise<void> {
    this.init ??= (async () => {
      await mkdir(this.journalDir, { recursive: true });
      await this.replay();
      await this.journal.open();
      this.opened = true;
    })();
    return this.init;
  }

  /** Applies the last journaled change of each key, syncs the file system, then drops the journals. */
  private async replay(): Promise<void> {
    const segments = await orphanSegments(this.journalDir, processAlive);
    if (segments.length === 0) return;
    const changes = [...(await pendingChanges(segments)).values()];
    for (let at = 0; at < changes.length; at += 512) {
      const jobs = changes
        .slice(at, at + 512)
        .map((c) => (c.op === "put" ? this.job(c.key, c.body, BigInt(c.micros)) : this.job(c.key, null, 0n)));
      const { errors, made } = await this.files.run(jobs);
      const failed = errors.findIndex((error) => error !== null);
      if (failed >= 0) throw new Error(`replaying the journal: ${jobs[failed]!.path}: ${errors[failed]}`);
      const madeFolder = new Set(made);
      for (const i of jobs.keys()) this.written(changes[at + i]!.key, madeFolder.has(i));
    }
    // The files are not synced one by one: the journals go only after this.
    await syncFileSystem(this.root);
    for (const segment of segments) await rm(segment, { force: true });
  }

  /** Changes on their way to a file. */
  private get unwritten(): number {
    return this.toApply.size + this.applying.size + this.deferred.size;
  }

  /** Resolves once every acknowledged durable write is in its file (not yet synced). */
  async flushed(): Promise<void> {
    await this.drained(Number.POSITIVE_INFINITY);
  }

  /** Whether every acknowledged durable write reached its file before `deadline` (epoch ms). */
  private async drained(deadline: number): Promise<boolean> {
    while (this.unwritten > 0) {
      if (Date.now() >= deadline) return false;
      this.promoteDeferred();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return true;
  }

  /**
   * Waits for every write to reach its file, then checkpoints and stops the journal. Writes that
   * keep failing (a file where their folder should be, say) are left in the journal after
   * `closeTimeoutMs`, for the next start to replay, instead of holding the process forever.
   */
  async close(): Promise<void> {
    if (this.init === undefined) return;
    await this.init;
    const written = await this.drained(Date.now() + (this.options.closeTimeoutMs ?? 30_000));
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    if (written) await this.journal.close();
    else {
      this.stopped = true;
      const keys = new Set([...this.toApply, ...this.applying, ...this.deferred]);
      console.error(
        `local store: the changes of ${keys.size} key(s) did not reach their files; the journal keeps them for the next start`,
      );
      await this.journal.abandon();
    }
    await this.files.close();
  }

  /** The file of a key known to be valid. */
  private file(key: string): string {
    // Valid keys need no normalizing (no empty or dot-led segments): joining them cost ~1 µs a write.
    return this.rootSlash + key;
  }

  /** Runs `fn` after every earlier change of `key` (reads of a key being changed wait too). */
  private serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => {});
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  private nextMicros(): bigint {
    const now = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
    this.lastMicros = now > this.lastMicros ? now : this.lastMicros + 1n;
    return this.lastMicros;
  }

  // Small-file reads use synchronous calls: on files in the page cache they take microseconds,
  // far less than a hop through libuv's thread pool on a busy machine.
  private statFile(key: string): FileStats | undefined {
    if (this.missingDirs.has(folderOf(key))) return undefined;
    try {
      const s = statSync(this.file(key), { bigint: true, throwIfNoEntry: false }) as FileStats | undefined;
      if (s === undefined) this.noteMissing(folderOf(key));
      return s?.isFile() ? s : undefined;
    } catch (error) {
      if (isCode(error, "ENOENT", "ENOTDIR")) return undefined;
      throw error;
    }
  }

  /**
   * Remembers that the folder (a key prefix, see `folderOf`) is not on disk, when it is not: keys
   * under it are then known missing without a system call (soft leases, say, never create theirs).
   * Only this process creates folders, and it forgets those it makes (see `written`).
   */
  private noteMissing(folder: string): void {
    if (statSync(join(this.root, ...folder.split("/")), { throwIfNoEntry: false }) !== undefined) return;
    if (this.missingDirs.size > 10_000) this.missingDirs.clear();
    this.missingDirs.add(folder);
  }

  /** The current version of a key: pending in memory, else on disk. */
  private current(key: string): ObjectInfo | undefined {
    const p = this.pending.get(key);
    if (p !== undefined) return p.body === null ? undefined : pendingInfo(key, p);
    const s = this.statFile(key);
    return s === undefined ? undefined : fileInfo(key, s);
  }

  /** The current version's ETag, as `current` would give it. */
  private currentEtag(key: string): string | undefined {
    const p = this.pending.get(key);
    if (p !== undefined) return p.etag;
    const s = this.statFile(key);
    return s === undefined ? undefined : etag(microsOf(s), s.size);
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    assertKey(key);
    if (options.ifMatch !== undefined && options.ifNoneMatch !== undefined) {
      throw new StorageError("PreconditionFailed", "ifMatch and ifNoneMatch together");
    }
    if (!this.opened) await this.ready();
    if (this.full()) await this.backpressure();
    // Buffer.from: a quarter of TextEncoder's cost on short strings.
    const bytes = typeof body === "string" ? Buffer.from(body) : new Uint8Array(body);
    const soft = options.durable === false;
    // A soft change waits for no disk: unless an earlier change of the key is under way, it is made at once.
    if (soft && !this.queues.has(key)) return this.putSoft(key, bytes, options);
    return this.serialize(key, async () => {
      if (soft) return this.putSoft(key, bytes, options);
      if (conditional(options)) this.matching(key, options);
      const micros = this.nextMicros();
      const ticket = await this.journal.append({ op: "put", key, body: bytes, micros: micros.toString() });
      return { etag: this.stage(key, bytes, micros, ticket, false)! };
    });
  }

  private putSoft(key: string, bytes: Uint8Array, options: PutOptions): { etag: string } {
    if (conditional(options)) this.matching(key, options);
    return { etag: this.stage(key, bytes, this.nextMicros(), undefined, true)! };
  }

  async delete(key: string, options: { ifMatch?: string; durable?: boolean } = {}): Promise<void> {
    assertKey(key);
    if (!this.opened) await this.ready();
    const soft = options.durable === false;
    if (soft && !this.queues.has(key)) return this.deleteSoft(key, options);
    await this.serialize(key, async () => {
      if (soft) return this.deleteSoft(key, options);
      if (this.matching(key, options) === undefined) return;
      this.stage(key, null, 0n, await this.journal.append({ op: "delete", key }), false);
    });
  }

  private deleteSoft(key: string, options: { ifMatch?: string }): void {
    if (this.matching(key, options) === undefined) return;
    // What only memory holds leaves nothing to remove from disk.
    if (this.pending.get(key)?.soft === true && this.statFile(key) === undefined) {
      this.unstage(key);
      this.announce(key, undefined, 0n);
    } else this.stage(key, null, 0n, undefined, false);
  }

  /** The key's current ETag, once it meets `ifNoneMatch`/`ifMatch` (else PreconditionFailed). */
  private matching(key: string, options: { ifMatch?: string; ifNoneMatch?: "*" }): string | undefined {
    const current = this.currentEtag(key);
    if (options.ifNoneMatch === "*" && current !== undefined) {
      throw new StorageError("PreconditionFailed", `${key} exists`);
    }
    if (options.ifMatch !== undefined && current !== options.ifMatch) {
      throw new StorageError("PreconditionFailed", `${key} does not match ${options.ifMatch}`);
    }
    return current;
  }

  private full(): boolean {
    return this.unwritten >= (this.options.maxPending ?? 50_000);
  }

  /** Waits while too many writes are on their way to files (checked first without a promise: a hot path). */
  private async backpressure(): Promise<void> {
    while (this.full()) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  watch(listener: (change: StoreChange) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** Tells the watchers of a put (its ETag and time) or a delete (`tag` undefined). */
  private announce(key: string, tag: string | undefined, micros: bigint): void {
    if (this.watchers.size === 0) return;
    const change = { key, etag: tag, at: tag === undefined ? Date.now() : Number(micros / 1000n) };
    for (const listener of this.watchers) listener(change);
  }

  /** Makes the change current (in memory until written) and returns a put's ETag. */
  private stage(
    key: string,
    body: Uint8Array | null,
    micros: bigint,
    ticket: Ticket | undefined,
    soft: boolean,
  ): string | undefined {
    const previous = this.pending.get(key);
    const tickets =
      ticket === undefined ? (previous?.tickets ?? noTickets) : [...(previous?.tickets ?? noTickets), ticket];
    // Soft only over nothing or another soft change: a durable change on its way to a file still goes.
    const stays = soft && (previous === undefined || previous.soft);
    const tag = body === null ? undefined : etag(micros, body.byteLength);
    this.pending.set(key, { body, micros, etag: tag, seq: ++this.seq, tickets, soft: stays });
    const dir = key.slice(0, key.lastIndexOf("/") + 1);
    const keys = this.pendingByDir.get(dir);
    if (keys === undefined) this.pendingByDir.set(dir, new Set([key]));
    else keys.add(key);
    this.announce(key, tag, micros);
    if (!stays) this.schedule(key);
    return tag;
  }

  private unstage(key: string): void {
    this.pending.delete(key);
    const dir = key.slice(0, key.lastIndexOf("/") + 1);
    const keys = this.pendingByDir.get(dir);
    keys?.delete(key);
    if (keys?.size === 0) this.pendingByDir.delete(dir);
  }

  /** Pending changes of keys under `prefix` and after `after`. */
  private pendingUnder(prefix: string, after: string | undefined): [string, Pending][] {
    const out: [string, Pending][] = [];
    const dirOfPrefix = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    for (const [dir, keys] of this.pendingByDir) {
      if (dir !== dirOfPrefix && !dir.startsWith(prefix)) continue;
      for (const key of keys)
        if (key.startsWith(prefix) && (after === undefined || key > after)) out.push([key, this.pending.get(key)!]);
    }
    return out;
  }

  /**
   * Queues a key's change for its file. A key whose file was sent for in the current window waits for
   * the next: a key re-written many times a second then costs one file a window, not one per batch
   * (replacing a file costs ~10 times creating one on this ext4, see docs/api.md).
   */
  private schedule(key: string): void {
    if (this.toApply.has(key) || this.deferred.has(key)) return;
    if (this.recent.has(key)) {
      this.deferred.add(key);
      // Held changes keep the process alive until written, as changes at the file writer do.
      this.windowTimer?.ref();
    } else {
      this.toApply.add(key);
      this.kick();
    }
  }

  /** Ends the window: the held changes go to the file writer. */
  private promoteDeferred(): void {
    this.recent.clear();
    for (const key of this.deferred) this.toApply.add(key);
    this.deferred.clear();
    this.windowTimer?.unref();
    this.kick();
  }

  /** Starts a window, unless one is open, when keys are sent to the file writer. */
  private startWindow(): void {
    if (this.windowTimer !== undefined) return;
    this.windowTimer = setTimeout(() => {
      this.windowTimer = undefined;
      this.promoteDeferred();
    }, this.options.rewriteWindowMs ?? 1000).unref();
  }

  /** Sends pending changes to the file writer in batches, one change of a key at a time. */
  private kick(): void {
    while (!this.stopped && this.batches < 2 && this.toApply.size > 0) {
      const keys: string[] = [];
      let bytes = 0;
      for (const key of this.toApply) {
        if (keys.length === 512 || bytes > 8 << 20) break;
        if (this.applying.has(key)) continue;
        keys.push(key);
        bytes += this.pending.get(key)?.body?.byteLength ?? 0;
      }
      if (keys.length === 0) return;
      for (const key of keys) {
        this.toApply.delete(key);
        this.applying.add(key);
        this.recent.add(key);
      }
      this.startWindow();
      this.batches++;
      void this.apply(keys).finally(() => {
        this.batches--;
        for (const key of keys) this.applying.delete(key);
        this.kick();
      });
    }
  }

  private async apply(keys: string[]): Promise<void> {
    const entries = keys.flatMap((key) => {
      const entry = this.pending.get(key);
      return entry === undefined ? [] : [{ key, entry, seq: entry.seq, tickets: entry.tickets.splice(0) }];
    });
    const jobs = entries.map(({ key, entry }) => this.job(key, entry.body, entry.micros));
    const { errors, made } = await this.files
      .run(jobs)
      .catch((error: unknown) => ({ errors: jobs.map(() => String(error)), made: [] }));
    const madeFolder = new Set(made);
    let failed: string | undefined;
    entries.forEach(({ key, entry, seq, tickets }, i) => {
      const error = errors[i];
      if (error === null) {
        for (const ticket of tickets) ticket.done();
        this.written(key, madeFolder.has(i));
        if (this.pending.get(key)?.seq === seq) this.unstage(key);
      } else {
        // Onto the key's current change, which may have replaced this one meanwhile: its file settles both.
        const current = this.pending.get(key) ?? entry;
        current.tickets = [...tickets, ...current.tickets];
        this.toApply.add(key);
        failed = `${key}: ${error}`;
      }
    });
    if (failed === undefined) {
      this.failures = 0;
      return;
    }
    if (++this.failures % 100 === 1) console.error(`local store: writing ${failed} failed, retrying`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 10 * this.failures)).unref());
  }

  /** The file work of a change: a put's body written to its file, or a delete. */
  private job(key: string, body: Uint8Array | null, micros: bigint): FileJob {
    const path = this.file(key);
    if (body === null) return { path };
    return {
      path,
      body,
      // Half a µs more, so that the conversion to the file system's time (through a double) never
      // lands on the µs below, whether it keeps µs or ns.
      seconds: (Number(micros) + 0.5) / 1e6,
    };
  }

  /** Notes what a job done changed on disk, for listings and reads; `madeFolder`: the key's folder was made. */
  private written(key: string, madeFolder: boolean): void {
    if (madeFolder) {
      // The folder and its parents may have been made: they alone may no longer be missing.
      for (let folder = folderOf(key); ; folder = folderOf(folder)) {
        this.missingDirs.delete(folder);
        if (!folder.includes("/")) break;
      }
    }
    this.changedFolder(key, madeFolder);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    assertKey(key);
    await this.queues.get(key);
    const p = this.pending.get(key);
    if (p !== undefined) return p.body === null ? undefined : { ...pendingInfo(key, p), body: p.body };
    const fd = this.openFile(key);
    if (fd === undefined) return undefined;
    try {
      const s = fstatSync(fd, { bigint: true }) as FileStats;
      if (!s.isFile()) return undefined;
      const body = new Uint8Array(Number(s.size));
      let read = 0;
      while (read < body.length) {
        const n = readSync(fd, body, read, body.length - read, read);
        if (n === 0) break;
        read += n;
      }
      return { ...fileInfo(key, s), body: read === body.length ? body : body.subarray(0, read) };
    } finally {
      closeSync(fd);
    }
  }

  private openFile(key: string): number | undefined {
    if (this.missingDirs.has(folderOf(key))) return undefined;
    try {
      return openSync(this.file(key), "r");
    } catch (error) {
      if (isCode(error, "ENOENT")) this.noteMissing(folderOf(key));
      if (isCode(error, "ENOENT", "ENOTDIR", "EISDIR")) return undefined;
      throw error;
    }
  }

  async getStream(key: string): Promise<{ info: ObjectInfo; stream: Readable } | undefined> {
    assertKey(key);
    await this.queues.get(key);
    const p = this.pending.get(key);
    if (p !== undefined) {
      if (p.body === null) return undefined;
      return { info: pendingInfo(key, p), stream: Readable.from([Buffer.from(p.body)]) };
    }
    const fd = this.openFile(key);
    if (fd === undefined) return undefined;
    const s = fstatSync(fd, { bigint: true }) as FileStats;
    if (!s.isFile()) {
      closeSync(fd);
      return undefined;
    }
    return { info: fileInfo(key, s), stream: createReadStream("", { fd, autoClose: true }) };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    assertKey(key);
    await this.queues.get(key);
    return this.current(key);
  }

  /**
   * A folder's entries in key order, cached while the folder's mtime stays the same and this
   * process has not changed it (mtimes are coarse: a change in the same tick may keep it), so that
   * paging and repeated listings do not re-read it. Other processes only read (see the top).
   * The entries are one string, a line each, folders with a trailing `/`: one object for the heap
   * however many entries (200,000 image files as objects were a third of what every full GC marked).
   */
  private readonly listings = new Map<string, { mtimeNs: bigint; changes: number; entries: string }>();
  /**
   * Entries this process added to or removed from each folder, by folder (a key prefix without its
   * `/`), since `listingsEpoch` began. Forgotten with the listings at 10,000 folders: answers make a
   * folder per image.
   */
  private readonly folderChanges = new Map<string, number>();
  private listingsEpoch = 0;

  /** Notes a change in the folder of `key` (and, when `created`, in every folder above it). */
  private changedFolder(key: string, created = false): void {
    if (this.folderChanges.size >= 10_000) {
      this.folderChanges.clear();
      this.listings.clear();
      this.listingsEpoch++;
    }
    let folder = key.slice(0, Math.max(0, key.lastIndexOf("/")));
    for (;;) {
      this.folderChanges.set(folder, (this.folderChanges.get(folder) ?? 0) + 1);
      if (!created || folder === "") return;
      folder = folder.slice(0, Math.max(0, folder.lastIndexOf("/")));
    }
  }

  private async sortedEntries(dirPath: string, folder: string): Promise<string | undefined> {
    const epoch = this.listingsEpoch;
    const changes = this.folderChanges.get(folder) ?? 0;
    let st: import("node:fs").BigIntStats | undefined;
    try {
      st = statSync(dirPath, { bigint: true, throwIfNoEntry: false });
    } catch (error) {
      if (isCode(error, "ENOTDIR")) return undefined;
      throw error;
    }
    if (st === undefined || !st.isDirectory()) return undefined;
    const hit = this.listings.get(folder);
    if (hit !== undefined && hit.mtimeNs === st.mtimeNs && hit.changes === changes) return hit.entries;
    let raw: import("node:fs").Dirent[];
    try {
      raw = await readdir(dirPath, { withFileTypes: true });
    } catch (error) {
      if (isCode(error, "ENOENT", "ENOTDIR")) return undefined;
      throw error;
    }
    const entries = raw
      .filter((e) => !e.name.startsWith(".") && !e.name.includes("\n") && (e.isDirectory() || e.isFile()))
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
      .sort()
      .join("\n");
    if (this.listings.size > 20_000) this.listings.clear();
    // Counted from an epoch that has ended, `changes` could match a later count.
    if (epoch === this.listingsEpoch) this.listings.set(folder, { mtimeNs: st.mtimeNs, changes, entries });
    return entries;
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    assertPrefix(prefix);
    await this.ready();
    const limit = Math.max(1, Math.min(options.limit ?? 1000, 1000));
    const after = options.cursor;
    const pendingHere = this.pendingUnder(prefix, after);
    const deletes = pendingHere.filter(([, p]) => p.body === null).length;
    const wanted = limit + 1 + deletes;
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash < 0 ? "" : prefix.slice(0, slash);
    const keys = new Set<string>();
    let lastWalked = "";
    // Walks in key order (a folder `d` sorts as `d/`), skipping folders wholly at or before the
    // cursor, and stops once it has enough keys to fill the page and know whether there is more.
    const walk = async (dirPath: string, keyPrefix: string, filter: string): Promise<boolean> => {
      const sorted = await this.sortedEntries(dirPath, keyPrefix.slice(0, -1));
      if (sorted === undefined) return false;
      for (let start = 0; start < sorted.length; ) {
        const newline = sorted.indexOf("\n", start);
        const end = newline < 0 ? sorted.length : newline;
        const entry = sorted.slice(start, end);
        start = end + 1;
        if (!entry.startsWith(filter)) continue;
        const key = keyPrefix + entry;
        if (key.endsWith("/")) {
          if (after !== undefined && key < after && !after.startsWith(key)) continue;
          if (await walk(join(dirPath, entry.slice(0, -1)), key, "")) return true;
        } else if (after === undefined || key > after) {
          keys.add(key);
          lastWalked = key;
          if (keys.size >= wanted) return true;
        }
      }
      return false;
    };
    const more = await walk(
      dirKey === "" ? this.root : join(this.root, ...dirKey.split("/")),
      dirKey === "" ? "" : `${dirKey}/`,
      prefix.slice(slash + 1),
    );
    for (const [key, p] of pendingHere) {
      if (p.body === null) keys.delete(key);
      else keys.add(key);
    }
    let sorted = [...keys].sort();
    // When the walk stopped early, keys past the last one walked belong to a later page.
    if (more) sorted = sorted.filter((key) => key <= lastWalked);
    const items: ObjectInfo[] = [];
    for (const key of sorted.slice(0, limit)) {
      const info = this.current(key);
      if (info !== undefined) items.push(info);
    }
    const last = sorted[Math.min(limit, sorted.length) - 1];
    return (sorted.length > limit || more) && last !== undefined ? { items, cursor: last } : { items };
  }

  private sign(method: string, key: string, expires: number): string {
    return this.hmac(`${method}\n${key}\n${expires}`);
  }

  /** A scope's message differs from any key's: keys end in neither `/` nor `*`. */
  private signScope(method: string, scope: string, expires: number): string {
    return this.hmac(`${method}\n${scope}*\n${expires}`);
  }

  private presign(method: "PUT" | "GET", key: string, expiresIn: number, scope?: string): string {
    assertKey(key);
    const path = `${this.options.blobPath ?? "/api/v1/blobs"}/${keyPath(key)}`;
    let query: string;
    if (scope === undefined) {
      const expires = Math.floor(Date.now() / 1000) + expiresIn;
      query = `method=${method}&expires=${expires}&signature=${this.sign(method, key, expires)}`;
    } else {
      assertScope(key, scope);
      query = this.scopeQuery(method, scope, expiresIn);
    }
    return `${this.options.baseUrl ?? ""}${path}?${query}`;
  }

  /** The signed query for a scope, signed anew once half its lifetime has passed. */
  private scopeQuery(method: "PUT" | "GET", scope: string, expiresIn: number): string {
    const cacheKey = `${method} ${expiresIn} ${scope}`;
    const nowMs = Date.now();
    const kept = this.scopeQueries.get(cacheKey, nowMs);
    if (kept !== undefined) return kept;
    const expires = Math.floor(nowMs / 1000) + expiresIn;
    const signature = this.signScope(method, scope, expires);
    const query = `method=${method}&scope=${encodeURIComponent(scope)}&expires=${expires}&signature=${signature}`;
    return this.scopeQueries.set(cacheKey, query, expiresIn, nowMs);
  }

  async presignPut(key: string, options: { expiresIn: number; contentType?: string }): Promise<string> {
    return this.presign("PUT", key, options.expiresIn);
  }

  async presignGet(key: string, options: { expiresIn: number; scope?: string }): Promise<string> {
    return this.presign("GET", key, options.expiresIn, options.scope);
  }

  /** Checks the query of a URL made by `presignPut`/`presignGet`, for a `method` request of `key`. */
  verifyPresigned(method: string, key: string, query: URLSearchParams, nowMs = Date.now()): boolean {
    const seconds = Number(query.get("expires"));
    if (query.get("method") !== method || !Number.isInteger(seconds) || seconds * 1000 < nowMs) return false;
    const scope = query.get("scope");
    if (scope !== null && !isScopeOf(key, scope)) return false;
    const signed = scope === null ? this.sign(method, key, seconds) : this.signScope(method, scope, seconds);
    const expected = Buffer.from(signed, "hex");
    const given = Buffer.from(query.get("signature") ?? "", "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
