// Serves the local store's presigned URLs (S3 serves its own): `PUT|GET <blobPath>/<key>?method&expires&signature`.

import { Readable } from "node:stream";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { LocalStore } from "./local.ts";

export function blobRoutes(
  store: LocalStore,
  options: { blobPath?: string; maxBytes?: number; now?: () => number } = {},
): Hono {
  const blobPath = options.blobPath ?? "/api/v1/blobs";
  const app = new Hono();
  const now = options.now ?? Date.now;
  const refuse = (message: string) => ({ error: { code: "forbidden", message, field: "signature" } });
  const check = (method: string, url: URL, key: string) => store.verifyPresigned(method, key, url.searchParams, now());
  const keyOf = (url: URL) => {
    if (!url.pathname.startsWith(`${blobPath}/`)) return "";
    return url.pathname
      .slice(blobPath.length + 1)
      .split("/")
      .map(decodeURIComponent)
      .join("/");
  };

  app.put(
    "/*",
    bodyLimit({
      maxSize: options.maxBytes ?? 50 * 1024 * 1024,
      onError: (c) => c.json({ error: { code: "too_large", message: "upload over the limit", field: "body" } }, 413),
    }),
    async (c) => {
      const url = new URL(c.req.url);
      const key = keyOf(url);
      if (!check("PUT", url, key)) return c.json(refuse("bad or expired signature"), 403);
      const { etag } = await store.put(key, new Uint8Array(await c.req.arrayBuffer()));
      return c.body(null, 200, { etag });
    },
  );
  app.get("/*", async (c) => {
    const url = new URL(c.req.url);
    const key = keyOf(url);
    if (!check("GET", url, key)) return c.json(refuse("bad or expired signature"), 403);
    const object = await store.getStream(key);
    if (object === undefined) return c.json({ error: { code: "not_found", message: "no such object" } }, 404);
    return c.body(Readable.toWeb(object.stream) as ReadableStream, 200, {
      etag: object.info.etag,
      "content-length": String(object.info.size),
    });
  });
  return app;
}
