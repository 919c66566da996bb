// The S3 store. Conditional writes use S3's `If-None-Match: *` and `If-Match` on PutObject; a
// server that rejects them fails the write (412/409 → PreconditionFailed), it never succeeds silently.

import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { HalfLifeCache } from "./half-life-cache.ts";
import { assertKey, assertPrefix, assertScope } from "./key.ts";
import {
  type ListPage,
  type ObjectInfo,
  type PutOptions,
  StorageError,
  type Store,
  type StoredObject,
} from "./port.ts";

export interface S3StoreOptions {
  bucket: string;
  /** Prepended to every key, e.g. `data/` when one bucket holds several stores. */
  keyPrefix?: string;
  client?: S3Client;
  /** Used when `client` is absent: endpoint, region, credentials of an S3-compatible server. */
  clientConfig?: S3ClientConfig;
}

/** The client settings boxloop needs against AWS and S3-compatible servers alike. */
export function s3ClientConfig(config: S3ClientConfig = {}): S3ClientConfig {
  return {
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    forcePathStyle: config.endpoint !== undefined,
    ...config,
  };
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "NoSuchKey" || name === "NotFound" || status(error) === 404;
}

export class S3Store implements Store {
  readonly client: S3Client;
  readonly bucket: string;
  private readonly keyPrefix: string;
  /** Presigned GETs by lifetime and key. */
  private readonly presignedGets = new HalfLifeCache(10_000);

  constructor(options: S3StoreOptions) {
    this.client = options.client ?? new S3Client(s3ClientConfig(options.clientConfig));
    this.bucket = options.bucket;
    this.keyPrefix = options.keyPrefix ?? "";
  }

  private full(key: string): string {
    assertKey(key);
    return this.keyPrefix + key;
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.full(key),
          Body: typeof body === "string" ? Buffer.from(body) : body,
          ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: options.ifNoneMatch }),
          ...(options.ifMatch === undefined ? {} : { IfMatch: options.ifMatch }),
          ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
        }),
      );
      if (out.ETag === undefined) throw new Error(`S3 returned no ETag for ${key}`);
      return { etag: out.ETag };
    } catch (error) {
      const code = status(error);
      const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
      if (conditional && (code === 412 || code === 409 || (options.ifMatch !== undefined && code === 404))) {
        throw new StorageError("PreconditionFailed", `${key}: ${(error as Error).name}`);
      }
      throw error;
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      const body = await out.Body!.transformToByteArray();
      return {
        key,
        etag: out.ETag ?? "",
        size: body.byteLength,
        lastModified: out.LastModified ?? new Date(0),
        body,
        ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async getStream(key: string): Promise<{ info: ObjectInfo; stream: Readable } | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      const info = {
        key,
        etag: out.ETag ?? "",
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified ?? new Date(0),
      };
      const body = out.Body;
      const stream = body instanceof Readable ? body : Readable.fromWeb(body!.transformToWebStream() as never);
      return { info, stream };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      return { key, etag: out.ETag ?? "", size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    assertPrefix(prefix);
    const out = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: this.keyPrefix + prefix,
        MaxKeys: Math.max(1, Math.min(options.limit ?? 1000, 1000)),
        ...(options.cursor === undefined ? {} : { StartAfter: this.keyPrefix + options.cursor }),
      }),
    );
    const items = (out.Contents ?? []).map((o) => ({
      key: (o.Key ?? "").slice(this.keyPrefix.length),
      etag: o.ETag ?? "",
      size: o.Size ?? 0,
      lastModified: o.LastModified ?? new Date(0),
    }));
    const last = items.at(-1);
    return out.IsTruncated && last !== undefined ? { items, cursor: last.key } : { items };
  }

  async delete(key: string, options: { ifMatch?: string; durable?: boolean } = {}): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({
          Bucket: this.bucket,
          Key: this.full(key),
          ...(options.ifMatch === undefined ? {} : { IfMatch: options.ifMatch }),
        }),
      );
    } catch (error) {
      const code = status(error);
      if (options.ifMatch !== undefined && (code === 412 || code === 404 || code === 409)) {
        throw new StorageError("PreconditionFailed", `${key}: ${(error as Error).name}`);
      }
      throw error;
    }
  }

  async presignPut(key: string, options: { expiresIn: number; contentType?: string }): Promise<string> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.full(key),
      ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
    });
    return getSignedUrl(this.client, command, { expiresIn: options.expiresIn });
  }

  /** Signs the key alone, even with a `scope` (S3 has no such URL). */
  async presignGet(key: string, options: { expiresIn: number; scope?: string }): Promise<string> {
    if (options.scope !== undefined) assertScope(key, options.scope);
    const cacheKey = `${options.expiresIn} ${key}`;
    const nowMs = Date.now();
    const kept = this.presignedGets.get(cacheKey, nowMs);
    if (kept !== undefined) return kept;
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) });
    const url = await getSignedUrl(this.client, command, { expiresIn: options.expiresIn });
    return this.presignedGets.set(cacheKey, url, options.expiresIn, nowMs);
  }
}
