// Versions under s3://bucket/prefix, mirrored into a local cache directory (TF Serving ≥ 2.7 has no
// S3 filesystem; in AWS a sidecar syncs the bucket the same way). A version is fetched only once
// its saved_model.pb exists, with that file written last locally too, so a partial upload is never
// offered. Versions gone from the bucket are removed from the cache. An empty or absent prefix is
// reported as a missing base path.
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { type Listing, type VersionSource, versionName } from "./version-source.ts";

export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new Error(`not an s3:// URL: ${url}`);
  const prefix = match[2]!.replace(/\/+$/, "");
  return { bucket: match[1]!, prefix: prefix ? `${prefix}/` : "" };
}

/** An S3 client from the environment; AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) points it at a local S3. */
export function defaultS3Client(): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    region: process.env.AWS_REGION ?? "us-east-1",
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export function s3Source(url: string, cacheDir: string, client: S3Client = defaultS3Client()): VersionSource {
  const { bucket, prefix } = parseS3Url(url);
  const local = join(cacheDir, bucket, prefix);
  const fetched = new Set<number>();

  async function listKeys(): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async function download(key: string, path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const temp = `${path}.part`;
    await pipeline(object.Body as Readable, createWriteStream(temp));
    await rename(temp, path);
  }

  return {
    basePath: url,
    async list(): Promise<Listing> {
      const keys = await listKeys();
      if (keys.length === 0) return "missing";
      const byVersion = new Map<number, string[]>();
      for (const key of keys) {
        const [child, ...rest] = key.slice(prefix.length).split("/");
        if (!child || !versionName.test(child) || rest.length === 0 || key.endsWith("/")) continue;
        const version = Number(child);
        byVersion.set(version, [...(byVersion.get(version) ?? []), key]);
      }
      const versions = new Map<number, string>();
      for (const [version, versionKeys] of byVersion) {
        const pb = `${prefix}${version}/saved_model.pb`;
        if (!versionKeys.includes(pb)) continue;
        const dir = join(local, String(version));
        if (!fetched.has(version)) {
          await rm(dir, { recursive: true, force: true });
          for (const key of versionKeys.filter((k) => k !== pb)) {
            await download(key, join(dir, key.slice(`${prefix}${version}/`.length)));
          }
          await download(pb, join(dir, "saved_model.pb"));
          fetched.add(version);
        }
        versions.set(version, dir);
      }
      for (const name of await readdir(local).catch(() => [] as string[])) {
        if (versionName.test(name) && !versions.has(Number(name))) {
          await rm(join(local, name), { recursive: true, force: true });
          fetched.delete(Number(name));
        }
      }
      return versions;
    },
  };
}
