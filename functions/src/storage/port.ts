// The storage port: an object store with the few operations boxloop needs. S3 and a local directory
// implement it; both pass `contract.ts`. Keys are `/`-separated paths of safe segments (see `key.ts`).
import type { Readable } from "node:stream";

export interface ObjectInfo {
  key: string;
  /** Quoted, as S3 returns it. */
  etag: string;
  size: number;
  lastModified: Date;
}

export interface StoredObject extends ObjectInfo {
  body: Uint8Array;
  contentType?: string;
}

export interface PutOptions {
  /** `"*"`: create only; fails with PreconditionFailed when the key exists. */
  ifNoneMatch?: "*";
  /** Compare-and-swap: replace only when the current ETag equals this; else PreconditionFailed. */
  ifMatch?: string;
  contentType?: string;
  /**
   * false: soft state, such as leases: the write may be lost if the machine crashes or the process
   * restarts, in exchange for no disk work (the local store keeps it in memory only). S3 writes are
   * durable either way. @default true
   */
  durable?: boolean;
}

export interface ListPage {
  items: ObjectInfo[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  cursor?: string;
}

export interface Store {
  /** Returns once the write is durable. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }>;
  get(key: string): Promise<StoredObject | undefined>;
  getStream(key: string): Promise<{ info: ObjectInfo; stream: Readable } | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Keys in lexicographic order under `prefix`, at most `limit` (default 1000) per page. */
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<ListPage>;
  /** Deleting a missing key is not an error, unless `ifMatch` is given (then PreconditionFailed). */
  delete(key: string, options?: { ifMatch?: string; durable?: boolean }): Promise<void>;
  presignPut(key: string, options: { expiresIn: number; contentType?: string }): Promise<string>;
  /**
   * A URL that GETs `key`, made now or reused while at least half of `expiresIn` (seconds) is left.
   * With `scope`, a prefix of `key` ending in `/`, the URL may read any key under it: the local store
   * then signs the scope rather than the key, once for all its keys (tasks:next hands out a new
   * image on every call); S3 signs the key alone.
   */
  presignGet(key: string, options: { expiresIn: number; scope?: string }): Promise<string>;
  /**
   * Resolves once every acknowledged write is in place for other processes reading the files (the
   * local store writes files behind its journal); absent where writes are visible at once (S3).
   * Publishing uses it so that saved_model.pb reaches the disk after the rest of its version.
   */
  flushed?(): Promise<void>;
  /**
   * Calls `listener` with every change this store acknowledges, in order, as it is acknowledged;
   * only where this process is the store's one writer (the local store), so that a view built from
   * a listing plus these changes is current. Returns the unsubscribe function.
   */
  watch?(listener: (change: StoreChange) => void): () => void;
}

/** A write (`etag` set) or a delete (`etag` undefined) of `key`, at `at` (epoch ms). */
export interface StoreChange {
  key: string;
  etag: string | undefined;
  at: number;
}

export type StorageErrorCode = "PreconditionFailed" | "NotFound" | "InvalidKey";

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "StorageError";
  }
}

export function isPreconditionFailed(error: unknown): boolean {
  return error instanceof StorageError && error.code === "PreconditionFailed";
}

/**
 * Every object under `prefix`, page by page, with a turn of the event loop between pages: the local
 * store answers a page synchronously, and listing 80,000 keys in one go held other requests ~0.85 s.
 */
export async function* listAll(store: Store, prefix: string): AsyncGenerator<ObjectInfo> {
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, cursor === undefined ? {} : { cursor });
    yield* page.items;
    cursor = page.cursor;
    if (cursor !== undefined) await new Promise((resolve) => setImmediate(resolve));
  } while (cursor !== undefined);
}

export async function getJson(store: Store, key: string): Promise<{ value: unknown; etag: string } | undefined> {
  const object = await store.get(key);
  if (object === undefined) return undefined;
  return { value: JSON.parse(new TextDecoder().decode(object.body)), etag: object.etag };
}
