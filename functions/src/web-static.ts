// Serves the built web page (web/dist) for GETs outside the API; unknown paths get index.html
// (the page routes itself). Only for local deployments: in AWS the page is on CloudFront.
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { MiddlewareHandler } from "hono";

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
};

export function webStatic(dir: string): MiddlewareHandler {
  const root = normalize(dir);
  const file = async (path: string) => {
    const full = normalize(join(root, path));
    if (full !== root && !full.startsWith(root + sep)) return undefined;
    const info = await stat(full).catch(() => undefined);
    return info?.isFile() ? full : undefined;
  };
  return async (c, next) => {
    if ((c.req.method !== "GET" && c.req.method !== "HEAD") || c.req.path.startsWith("/api/")) return next();
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      return next();
    }
    const found =
      (await file(path === "/" ? "index.html" : path.slice(1))) ??
      (extname(path) === "" ? await file("index.html") : undefined);
    if (found === undefined) return next();
    const cache = found.includes(`${sep}assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache";
    return c.body(new Uint8Array(await readFile(found)), 200, {
      "content-type": types[extname(found)] ?? "application/octet-stream",
      "cache-control": cache,
    });
  };
}
