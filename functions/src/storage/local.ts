// The local-directory store, the embedded default of `boxloop start`. Each object is one file under
// `root`. Writes are atomic and durable: the change is first made durable in a write-ahead journal
// (journal.ts; one fdatasync per group of concurrent writes), then a temporary file is renamed into
// place, so a crash never leaves half a file and a restart replays what the files may have lost.
// Every mutation of a key is serialized in-process and under a lock file (`root/.locks`, O_EXCL,
// stolen from dead processes), so conditional writes hold across processes too.
// ETags come from the file's inode, mtime and size: every write makes a new file, so they change.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  closeSync,
  createReadStream,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { Journal, orphanSegments, pendingChanges, syncFileSystem } from "./journal.ts";
import { assertKey, assertPrefix } from "./key.ts";
import {
  type ListPage,
  type ObjectInfo,
  type PutOptions,
  StorageError,
  type Store,
  type StoredObject,
} from "./port.ts";

export interface LocalStoreOptions {
  /** Signs presigned URLs; random per process by default (URLs then die with the process). */
  secret?: string;
  /** Prefix of presigned URLs, e.g. `http://127.0.0.1:8787`; default none (a path). */
  baseUrl?: string;
  /** Path at which the app serves presigned requests (see `blob-routes.ts`). */
  blobPath?: string;
}

type Stats = { ino: bigint; mtimeNs: bigint; size: bigint; mtimeMs: bigint };

function etagOf(s: Stats): string {
  return `"${s.ino.toString(16)}-${s.mtimeNs.toString(16)}-${s.size.toString(16)}"`;
}

function infoOf(key: string, s: Stats): ObjectInfo {
  return { key, etag: etagOf(s), size: Number(s.size), lastModified: new Date(Number(s.mtimeMs)) };
}

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
  private readonly tmp: string;
  private readonly locks: string;
  private readonly secret: string;
  private readonly queues = new Map<string, Promise<unknown>>();
  private init: Promise<void> | undefined;
  private readonly journalDir: string;
  private readonly journal: Journal;
  private counter = 0;

  constructor(
    readonly root: string,
    private readonly options: LocalStoreOptions = {},
  ) {
    this.tmp = join(root, ".tmp");
    this.locks = join(root, ".locks");
    this.journalDir = join(root, ".journal");
    this.journal = new Journal(this.journalDir, root);
    this.secret = options.secret ?? randomBytes(32).toString("hex");
  }

  /** Creates the folders, removes temporary files and replays journals left by crashed processes. */
  ready(): Promise<void> {
    this.init ??= (async () => {
      await mkdir(this.root, { recursive: true });
      await mkdir(this.tmp, { recursive: true });
      await mkdir(this.locks, { recursive: true });
      await mkdir(this.journalDir, { recursive: true });
      for (const name of await readdir(this.tmp)) {
        const pid = Number(name.split("-")[0]);
        if (!(Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)))
          await rm(join(this.tmp, name), { force: true });
      }
      await this.replay();
      await this.journal.open();
    })();
    return this.init;
  }

  /** Applies, durably (fsync per file), the last journaled change of each key, then drops the journals. */
  private async replay(): Promise<void> {
    const segments = await orphanSegments(this.journalDir, processAlive);
    if (segments.length === 0) return;
    const changes = [...(await pendingChanges(segments)).values()];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < changes.length) {
          const index = next++;
          const change = changes[index]!;
          const target = this.path(change.key);
          if (change.op === "delete") {
            await unlink(target).catch(() => {});
            continue;
          }
          await mkdir(dirname(target), { recursive: true });
          const tmpPath = join(this.tmp, `${process.pid}-replay-${index}`);
          const handle = await open(tmpPath, "w");
          try {
            await handle.writeFile(change.body);
            await handle.sync();
          } finally {
            await handle.close();
          }
          await rename(tmpPath, target);
        }
      }),
    );
    await syncFileSystem(this.root);
    for (const segment of segments) await unlink(segment);
  }

  /** Stops the journal's timer after a last checkpoint. */
  async close(): Promise<void> {
    if (this.init !== undefined) {
      await this.init;
      await this.journal.close();
    }
  }

  private path(key: string): string {
    assertKey(key);
    return join(this.root, ...key.split("/"));
  }

  /** Runs `fn` after every earlier mutation of `key` in this process. */
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

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    const target = this.path(key);
    if (options.ifMatch !== undefined && options.ifNoneMatch !== undefined) {
      throw new StorageError("PreconditionFailed", "ifMatch and ifNoneMatch together");
    }
    await this.ready();
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    this.ensureDir(dirname(target));
    const tmpPath = join(this.tmp, `${process.pid}-${++this.counter}-${randomBytes(4).toString("hex")}`);
    const fd = openSync(tmpPath, "wx");
    let stats: Stats;
    try {
      writeSync(fd, bytes);
      stats = fstatSync(fd, { bigint: true }) as unknown as Stats;
    } finally {
      closeSync(fd);
    }
    let renamed = false;
    try {
      await this.mutate(key, options.ifNoneMatch !== undefined || options.ifMatch !== undefined, async () => {
        if (options.ifNoneMatch === "*" && this.statKey(target) !== undefined) {
          throw new StorageError("PreconditionFailed", `${key} exists`);
        }
        if (options.ifMatch !== undefined) {
          const current = this.statKey(target);
          if (current === undefined || etagOf(current) !== options.ifMatch) {
            throw new StorageError("PreconditionFailed", `${key} does not match ${options.ifMatch}`);
          }
        }
        await this.journal.write({ op: "put", key, body: bytes }, async () => {
          renameSync(tmpPath, target);
          renamed = true;
        });
      });
    } finally {
      if (!renamed) rmSync(tmpPath, { force: true });
    }
    return { etag: etagOf(stats) };
  }

  /**
   * Serialized in-process for `key`; conditional changes also across processes (a lock file costs
   * two more file-system metadata operations, which every journal sync then has to commit).
   */
  private mutate<T>(key: string, conditional: boolean, fn: () => Promise<T>): Promise<T> {
    return this.serialize(key, conditional ? () => this.withFileLock(key, fn) : fn);
  }

  private async withFileLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lock = join(this.locks, createHmac("sha1", "lock").update(key).digest("hex"));
    const deadline = Date.now() + 10_000;
    for (;;) {
      let handle: FileHandle | undefined;
      try {
        handle = await open(lock, "wx");
        await handle.writeFile(String(process.pid));
        await handle.close();
        break;
      } catch (error) {
        await handle?.close().catch(() => {});
        if (!isCode(error, "EEXIST")) throw error;
        const owner = Number(await readFile(lock, "utf8").catch(() => ""));
        if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
          await unlink(lock).catch(() => {});
          continue;
        }
        if (Date.now() > deadline) throw new Error(`lock on ${key} held by process ${owner}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => {});
    }
  }

  /** Folders known to exist (folders are never removed). */
  private readonly dirs = new Set<string>();

  private ensureDir(dir: string): void {
    if (this.dirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.dirs.add(dir);
  }

  // Small-file operations use the synchronous calls: on files in the page cache they take
  // microseconds, far less than a hop through libuv's thread pool on a busy machine. Only the
  // journal's fdatasync, which waits for the disk, stays asynchronous.
  private statKey(path: string): Stats | undefined {
    try {
      const s = statSync(path, { bigint: true, throwIfNoEntry: false }) as unknown as
        | (Stats & { isFile(): boolean })
        | undefined;
      return s?.isFile() ? s : undefined;
    } catch (error) {
      if (isCode(error, "ENOENT", "ENOTDIR")) return undefined;
      throw error;
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const path = this.path(key);
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      if (isCode(error, "ENOENT", "ENOTDIR", "EISDIR")) return undefined;
      throw error;
    }
    try {
      const s = fstatSync(fd, { bigint: true }) as unknown as Stats & { isFile(): boolean };
      if (!s.isFile()) return undefined;
      const body = new Uint8Array(readFileSync(fd));
      return { ...infoOf(key, s), body };
    } finally {
      closeSync(fd);
    }
  }

  async getStream(key: string): Promise<{ info: ObjectInfo; stream: Readable } | undefined> {
    const path = this.path(key);
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if (isCode(error, "ENOENT", "ENOTDIR", "EISDIR")) return undefined;
      throw error;
    }
    const s = (await handle.stat({ bigint: true })) as unknown as Stats & { isFile(): boolean };
    if (!s.isFile()) {
      await handle.close();
      return undefined;
    }
    return { info: infoOf(key, s), stream: createReadStream("", { fd: handle, autoClose: true }) };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const s = this.statKey(this.path(key));
    return s === undefined ? undefined : infoOf(key, s);
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    assertPrefix(prefix);
    await this.ready();
    const limit = Math.max(1, Math.min(options.limit ?? 1000, 1000));
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash < 0 ? "" : prefix.slice(0, slash);
    const namePrefix = prefix.slice(slash + 1);
    const after = options.cursor;
    const keys: string[] = [];
    // Walks in key order (a folder `d` sorts as `d/`), skipping folders wholly at or before the
    // cursor, and stops one key past the page to know whether there is more.
    const walk = async (dirPath: string, keyPrefix: string, filter: string): Promise<boolean> => {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await readdir(dirPath, { withFileTypes: true });
      } catch (error) {
        if (isCode(error, "ENOENT", "ENOTDIR")) return false;
        throw error;
      }
      const sorted = entries
        .filter((e) => !e.name.startsWith(".") && e.name.startsWith(filter) && (e.isDirectory() || e.isFile()))
        .map((e) => ({ name: e.name, dir: e.isDirectory(), sortKey: e.isDirectory() ? `${e.name}/` : e.name }))
        .sort((x, y) => (x.sortKey < y.sortKey ? -1 : x.sortKey > y.sortKey ? 1 : 0));
      for (const entry of sorted) {
        const key = keyPrefix + entry.name;
        if (entry.dir) {
          const inner = `${key}/`;
          if (after !== undefined && inner < after && !after.startsWith(inner)) continue;
          if (await walk(join(dirPath, entry.name), inner, "")) return true;
        } else {
          if (after !== undefined && key <= after) continue;
          keys.push(key);
          if (keys.length > limit) return true;
        }
      }
      return false;
    };
    await walk(
      dirKey === "" ? this.root : join(this.root, ...dirKey.split("/")),
      dirKey === "" ? "" : `${dirKey}/`,
      namePrefix,
    );
    const selected = keys.slice(0, limit);
    const stats = selected.map((key) => this.statKey(this.path(key)));
    const items: ObjectInfo[] = [];
    selected.forEach((key, i) => {
      const st = stats[i];
      if (st !== undefined) items.push(infoOf(key, st));
    });
    const last = selected.at(-1);
    return keys.length > limit && last !== undefined ? { items, cursor: last } : { items };
  }

  async delete(key: string, options: { ifMatch?: string } = {}): Promise<void> {
    const path = this.path(key);
    await this.ready();
    await this.mutate(key, options.ifMatch !== undefined, async () => {
      const current = this.statKey(path);
      if (options.ifMatch !== undefined && (current === undefined || etagOf(current) !== options.ifMatch)) {
        throw new StorageError("PreconditionFailed", `${key} does not match ${options.ifMatch}`);
      }
      if (current === undefined) return;
      await this.journal.write({ op: "delete", key }, async () => {
        rmSync(path, { force: true });
      });
    });
  }

  private sign(method: string, key: string, expires: number): string {
    return createHmac("sha256", this.secret).update(`${method}\n${key}\n${expires}`).digest("hex");
  }

  private presign(method: "PUT" | "GET", key: string, expiresIn: number): string {
    assertKey(key);
    const expires = Math.floor(Date.now() / 1000) + expiresIn;
    const path = `${this.options.blobPath ?? "/api/v1/blobs"}/${key.split("/").map(encodeURIComponent).join("/")}`;
    const query = `method=${method}&expires=${expires}&signature=${this.sign(method, key, expires)}`;
    return `${this.options.baseUrl ?? ""}${path}?${query}`;
  }

  async presignPut(key: string, options: { expiresIn: number; contentType?: string }): Promise<string> {
    return this.presign("PUT", key, options.expiresIn);
  }

  async presignGet(key: string, options: { expiresIn: number }): Promise<string> {
    return this.presign("GET", key, options.expiresIn);
  }

  /** Checks a presigned request made by `presignPut`/`presignGet`. */
  verifyPresigned(method: string, key: string, expires: string, signature: string, nowMs = Date.now()): boolean {
    const seconds = Number(expires);
    if (!Number.isInteger(seconds) || seconds * 1000 < nowMs) return false;
    const expected = Buffer.from(this.sign(method, key, seconds), "hex");
    const given = Buffer.from(signature, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
