// Files by URI: a local path or s3://bucket/key. The trainer reads its job, TFRecords and configs,
// and writes checkpoints, events and exports through these few calls.
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { writeDurably } from "@boxloop/proto/saved-model-writer";

export function isS3(uri: string): boolean {
  return uri.startsWith("s3://");
}

export function parseS3(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
}

/** Joins URI parts with "/" (also for s3://). */
export function joinUri(base: string, ...parts: string[]): string {
  return isS3(base) ? [base.replace(/\/+$/, ""), ...parts].join("/") : join(base, ...parts);
}

let client: S3Client | undefined;
function s3(): S3Client {
  // Endpoint and credentials from the environment (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for a local server).
  client ??= new S3Client({
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return client;
}

export class NotFoundError extends Error {
  constructor(readonly uri: string) {
    super(`${uri} does not exist`);
  }
}

export async function readBytes(uri: string): Promise<Uint8Array> {
  if (!isS3(uri)) {
    try {
      return new Uint8Array(await readFile(uri));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(uri);
      throw error;
    }
  }
  const { bucket, key } = parseS3(uri);
  try {
    const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body!.transformToByteArray();
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") throw new NotFoundError(uri);
    throw error;
  }
}

export async function readText(uri: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(uri));
}

/** Writes durably: locally through a fsynced temporary file renamed into place; on S3 one PutObject. */
export async function writeBytes(uri: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  if (!isS3(uri)) {
    await mkdir(dirname(uri), { recursive: true });
    await writeDurably(uri, bytes);
    return;
  }
  const { bucket, key } = parseS3(uri);
  await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
}

/** Names directly under a directory URI (files and folders), or [] when it does not exist. */
export async function listNames(dirUri: string): Promise<string[]> {
  if (!isS3(dirUri)) {
    try {
      return await readdir(dirUri);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }
  const { bucket, key } = parseS3(dirUri);
  const prefix = key === "" || key.endsWith("/") ? key : `${key}/`;
  const names = new Set<string>();
  let token: string | undefined;
  do {
    const out = await s3().send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: "/", ContinuationToken: token }),
    );
    for (const c of out.CommonPrefixes ?? []) names.add(c.Prefix!.slice(prefix.length).replace(/\/$/, ""));
    for (const o of out.Contents ?? []) names.add(o.Key!.slice(prefix.length));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return [...names];
}

export async function exists(uri: string): Promise<boolean> {
  if (!isS3(uri))
    return stat(uri).then(
      () => true,
      () => false,
    );
  try {
    await readBytes(uri);
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/** Removes a file or a whole directory (S3: every key under the prefix). */
export async function removeTree(uri: string): Promise<void> {
  if (!isS3(uri)) {
    await rm(uri, { recursive: true, force: true });
    return;
  }
  const { bucket, key } = parseS3(uri);
  const prefix = key.endsWith("/") ? key : `${key}/`;
  let token: string | undefined;
  const keys: string[] = [key];
  do {
    const out = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) keys.push(o.Key!);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  for (let i = 0; i < keys.length; i += 1000) {
    await s3().send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) },
      }),
    );
  }
}
