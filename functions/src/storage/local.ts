// The local-directory store, the embedded default of `boxloop start`. Each object is one file under
// `root`. Writes are atomic and durable: a temporary file in `root/.tmp` is written and fsynced,
// then renamed (or linked, for create-only) into place, and the directory is fsynced.
// Create-only uses link(), which fails atomically if the target exists, so it is correct across
// processes. Every mutation of a key is serialized in-process; compare-and-swap also takes a lock
// file (`root/.locks`, O_EXCL, stolen from dead processes) so it holds across processes too.
// ETags come from the file's inode, mtime and size: every write makes a new file, so they change.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
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

async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
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
  private ready: Promise<void> | undefined;
  private counter = 0;

  constructor(
    readonly root: string,
    private readonly options: LocalStoreOptions = {},
  ) {
    this.tmp = join(root, ".tmp");
    this.locks = join(root, ".locks");
    this.secret = options.secret ?? randomBytes(32).toString("hex");
  }

  /** Creates the folders and removes temporary files left by crashed processes. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.root, { recursive: true });
      await mkdir(this.tmp, { recursive: true });
      for (const name of await readdir(this.tmp)) {
        const pid = Number(name.split("-")[0]);
        if (!(Number.isInteger(pid) && pid > 0 && processAlive(pid))) await rm(join(this.tmp, name), { force: true });
      }
      await mkdir(this.locks, { recursive: true });
    })();
    return this.ready;
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
    await this.init();
    const dir = dirname(target);
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined) await this.syncCreatedDirs(created, dir);
    const tmpPath = join(this.tmp, `${process.pid}-${++this.counter}-${randomBytes(4).toString("hex")}`);
    let stats: Stats;
    const handle = await open(tmpPath, "wx");
    try {
      await handle.writeFile(body);
      await handle.sync();
      stats = (await handle.stat({ bigint: true })) as Stats;
    } finally {
      await handle.close();
    }
    try {
      await this.serialize(key, async () => {
        if (options.ifNoneMatch === "*") {
          try {
            await link(tmpPath, target);
          } catch (error) {
            if (isCode(error, "EEXIST")) throw new StorageError("PreconditionFailed", `${key} exists`);
            throw error;
          }
        } else if (options.ifMatch !== undefined) {
          const ifMatch = options.ifMatch;
          await this.withFileLock(key, async () => {
            const current = await this.statKey(target);
            if (current === undefined || etagOf(current) !== ifMatch) {
              throw new StorageError("PreconditionFailed", `${key} does not match ${ifMatch}`);
            }
            await rename(tmpPath, target);
          });
        } else {
          await rename(tmpPath, target);
        }
        await fsyncDir(dir);
      });
    } finally {
      await unlink(tmpPath).catch(() => {});
    }
    return { etag: etagOf(stats) };
  }

  /** fsyncs the parents of newly made directories, so the new entries survive a crash. */
  private async syncCreatedDirs(first: string, last: string): Promise<void> {
    let dir = last;
    const dirs: string[] = [];
    while (dir.length >= first.length) {
      dirs.push(dirname(dir));
      dir = dirname(dir);
    }
    for (const d of dirs.reverse()) await fsyncDir(d);
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

  private async statKey(path: string): Promise<Stats | undefined> {
    try {
      const s = (await stat(path, { bigint: true })) as unknown as Stats & { isFile(): boolean };
      return s.isFile() ? s : undefined;
    } catch (error) {
      if (isCode(error, "ENOENT", "ENOTDIR")) return undefined;
      throw error;
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const path = this.path(key);
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if (isCode(error, "ENOENT", "ENOTDIR", "EISDIR")) return undefined;
      throw error;
    }
    try {
      const s = (await handle.stat({ bigint: true })) as unknown as Stats & { isFile(): boolean };
      if (!s.isFile()) return undefined;
      const body = new Uint8Array(await handle.readFile());
      return { ...infoOf(key, s), body };
    } finally {
      await handle.close();
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
    const s = await this.statKey(this.path(key));
    return s === undefined ? undefined : infoOf(key, s);
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    assertPrefix(prefix);
    await this.init();
    const limit = Math.max(1, Math.min(options.limit ?? 1000, 1000));
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash < 0 ? "" : prefix.slice(0, slash);
    const namePrefix = prefix.slice(slash + 1);
    const keys: string[] = [];
    const walk = async (dirPath: string, keyPrefix: string, filter: string): Promise<void> => {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await readdir(dirPath, { withFileTypes: true });
      } catch (error) {
        if (isCode(error, "ENOENT", "ENOTDIR")) return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(".") || !entry.name.startsWith(filter)) continue;
        const key = keyPrefix + entry.name;
        if (entry.isDirectory()) await walk(join(dirPath, entry.name), `${key}/`, "");
        else if (entry.isFile()) keys.push(key);
      }
    };
    await walk(
      dirKey === "" ? this.root : join(this.root, ...dirKey.split("/")),
      dirKey === "" ? "" : `${dirKey}/`,
      namePrefix,
    );
    keys.sort();
    const after = options.cursor;
    const start = after === undefined ? 0 : keys.findIndex((k) => k > after);
    const selected = start < 0 ? [] : keys.slice(start, start + limit);
    const items: ObjectInfo[] = [];
    for (const key of selected) {
      const s = await this.statKey(this.path(key));
      if (s !== undefined) items.push(infoOf(key, s));
    }
    const last = selected.at(-1);
    const more = start >= 0 && start + limit < keys.length;
    return more && last !== undefined ? { items, cursor: last } : { items };
  }

  async delete(key: string, options: { ifMatch?: string } = {}): Promise<void> {
    const path = this.path(key);
    const { ifMatch } = options;
    const remove = async () => {
      if (ifMatch !== undefined) {
        const current = await this.statKey(path);
        if (current === undefined || etagOf(current) !== ifMatch) {
          throw new StorageError("PreconditionFailed", `${key} does not match ${ifMatch}`);
        }
      }
      try {
        await unlink(path);
      } catch (error) {
        if (isCode(error, "ENOENT", "ENOTDIR")) return;
        throw error;
      }
      await fsyncDir(dirname(path));
    };
    await this.serialize(key, () => (ifMatch === undefined ? remove() : this.withFileLock(key, remove)));
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
