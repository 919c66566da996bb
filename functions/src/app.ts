// The annotation API: one Hono app built from its dependencies, served by lambda.ts (AWS) and
// server.ts (local). Routes and storage layout: ../../shared/DESIGN.md; reference: docs/api.md.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { TrieRouter } from "hono/router/trie-router";
import { type AppDeps, buildContext, type Env } from "./context.ts";
import { ApiError, notJson, notJsonType } from "./errors.ts";
import { MemoRouter } from "./memo-router.ts";
import { annotationRoutes } from "./routes/annotations.ts";
import { campaignRoutes } from "./routes/campaigns.ts";
import { exportRoutes, importBodyLimit } from "./routes/exports.ts";
import { imageRoutes } from "./routes/images.ts";
import { reviewRoutes } from "./routes/review.ts";
import { taskRoutes } from "./routes/tasks.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { trainingRoutes } from "./routes/training.ts";
import { blobRoutes } from "./storage/blob-routes.ts";
import { LocalStore } from "./storage/local.ts";
import { StorageError } from "./storage/port.ts";
import { webStatic } from "./web-static.ts";

export type { AppDeps } from "./context.ts";

export const apiBase = "/api/v1";

function toError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof StorageError && error.code === "InvalidKey")
    return new ApiError(400, "bad_id", error.message, "path");
  if (error instanceof HTTPException) {
    const status = error.status;
    if (status === 413) return new ApiError(413, "too_large", "request body over the limit", "body");
    // Hono's validators throw 400 for a body that does not parse, 415 for another media type.
    if (status === 400) return notJson();
    if (status === 415) return notJsonType();
    if (status === 401) return new ApiError(401, "unauthorized", error.message, "authorization");
  }
  return undefined;
}

/** Sets the bearer token's principal, then goes on; 401 without a valid token. */
async function authenticate(deps: AppDeps, c: Context<Env>, next: Next): Promise<void> {
  const match = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(c.req.header("authorization") ?? "");
  if (match === null)
    throw new ApiError(401, "unauthorized", "an Authorization: Bearer token is needed", "authorization");
  const principal = await deps.auth.verify(match[1]!);
  if (principal === undefined) throw new ApiError(401, "unauthorized", "the token is not valid", "authorization");
  c.set("principal", principal);
  await next();
}

const tooLarge = (): never => {
  throw new HTTPException(413);
};

/**
 * 413 for a body over `maxSize`. A body with a Content-Length is judged by it, without touching the
 * body: reading `c.req.raw.body`, as hono's bodyLimit does first, turns @hono/node-server's direct read
 * of the request into a web stream (a fifth of a small request's cost). Node's HTTP parser never
 * delivers more than the Content-Length. Bodies without one are counted by hono's bodyLimit, which
 * calls `next` (or not) itself: then the result is a middleware to run, else undefined.
 */
function sizeLimit(maxSize: number): (c: Context) => MiddlewareHandler | undefined {
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return (c) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return undefined;
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return counted;
    if (Number(length) > maxSize) tooLarge();
    return undefined;
  };
}

export function createApp(deps: AppDeps) {
  const ctx = buildContext(deps);
  // The app's router is the one that matches: sub-apps' routes are copied into it.
  const app = new OpenAPIHono<Env>({ router: new MemoRouter() });

  app.onError((error, c) => {
    const known = toError(error);
    if (known !== undefined) return c.json(known.body(), known.httpStatus);
    console.error(error);
    return c.json({ error: { code: "internal", message: "internal error" } }, 500);
  });
  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}`, field: "path" } }, 404),
  );

  if (deps.store instanceof LocalStore) app.route(`${apiBase}/blobs`, blobRoutes(deps.store, { now: ctx.now }));

  // Every API route but presigned blobs and the OpenAPI document: the body's size, then the token.
  const small = sizeLimit(deps.bodyLimit ?? 1024 * 1024);
  const large = sizeLimit(importBodyLimit);
  app.use(`${apiBase}/*`, async (c, next) => {
    const path = c.req.path;
    if (path.startsWith(`${apiBase}/blobs/`) || path === `${apiBase}/openapi.json`) return next();
    const counting = (path.endsWith("/annotations:import") ? large : small)(c);
    if (counting !== undefined) return counting(c, () => authenticate(deps, c, next));
    return authenticate(deps, c, next);
  });

  const api = new OpenAPIHono<Env>({ router: new TrieRouter() })
    .route("/", campaignRoutes(ctx))
    .route("/", imageRoutes(ctx))
    .route("/", taskRoutes(ctx))
    .route("/", annotationRoutes(ctx))
    .route("/", reviewRoutes(ctx))
    .route("/", trainingRoutes(ctx))
    .route("/", exportRoutes(ctx))
    .route("/", tokenRoutes(ctx));
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "boxloop annotation API", version: "1" },
    security: [{ bearer: [] }],
  });
  app.route(apiBase, api);

  if (deps.webDir !== undefined) app.use("*", webStatic(deps.webDir));
  return app;
}

export type App = ReturnType<typeof createApp>;
