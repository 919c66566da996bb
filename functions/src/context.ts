// Everything a route needs, built once by `createApp` from its dependencies.

import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import type { Authenticator, Principal } from "./auth/port.ts";
import { type CampaignRepo, campaignRepo } from "./campaigns/repo.ts";
import type { Campaign } from "./campaigns/schema.ts";
import { ApiError, fieldOf, forbidden, notJson, notJsonType } from "./errors.ts";
import { Id } from "./ids.ts";
import { type ImageMeta, loadImage } from "./images/ingest.ts";
import { layout } from "./layout.ts";
import { type PredictionCache, predictionCache } from "./predictions/cache.ts";
import { noPredictor, type Predictor } from "./predictions/port.ts";
import type { CampaignSchedules } from "./schedule/eventbridge.ts";
import type { Store } from "./storage/port.ts";
import { CampaignIndexes } from "./tasks/campaign-index.ts";
import { type Leases, storedLeases } from "./tasks/lease.ts";
import type { Models, TrainingRuns } from "./training/port.ts";

export interface AppDeps {
  /** The `data` bucket (or `<data-dir>/data`). */
  store: Store;
  auth: Authenticator;
  trainingRuns: TrainingRuns;
  models: Models;
  /** @default no model server: tasks come without predictions */
  predictor?: Predictor;
  /** @default Date.now */
  clock?: () => number;
  /** @default Math.random */
  random?: () => number;
  /** Largest JSON body, bytes. @default 1 MiB */
  bodyLimit?: number;
  /** Lifetime of presigned URLs, seconds. @default 900 */
  presignSeconds?: number;
  /** Prediction timeout, ms. @default 3000 */
  predictionTimeoutMs?: number;
  /** How long the in-memory campaign view is trusted, ms. @default 2000 */
  indexTtlMs?: number;
  /** Folders `images:import` may read (local only). @default none: folder import refused */
  importRoots?: string[];
  /** Stores of other buckets for `images:import` from S3; the data store when absent. */
  bucketStore?: (bucket: string) => Store;
  /** The built web page (`web/dist`), served at `/` when given. */
  webDir?: string;
  /** Where leases are kept. @default in the store (`storedLeases`), for API processes that share it */
  leases?: Leases;
  /** Operational messages (a model version's predictions read into memory, say). @default console.error */
  log?: (line: string) => void;
  /** Keeps each campaign's schedule in EventBridge Scheduler (AWS); locally the scheduler reads campaign.json. */
  schedules?: CampaignSchedules;
}

export interface AppContext {
  store: Store;
  auth: Authenticator;
  campaigns: CampaignRepo;
  indexes: CampaignIndexes;
  leases: Leases;
  predictions: PredictionCache;
  trainingRuns: TrainingRuns;
  models: Models;
  now: () => number;
  random: () => number;
  presignSeconds: number;
  /** An image's record; records never change once written, so they are kept in memory. */
  image(cid: string, iid: string): Promise<ImageMeta | undefined>;
  /** A presigned GET of the image's bytes (locally, of the campaign's images folder). */
  imageUrl(cid: string, image: ImageMeta): Promise<string>;
  importRoots: string[];
  bucketStore: ((bucket: string) => Store) | undefined;
  schedules: CampaignSchedules | undefined;
}

export function buildContext(deps: AppDeps): AppContext {
  const now = deps.clock ?? Date.now;
  const images = new Map<string, ImageMeta>();
  const presignSeconds = deps.presignSeconds ?? 900;
  const leases = deps.leases ?? storedLeases(deps.store);
  const indexes = new CampaignIndexes(deps.store, now, deps.indexTtlMs ?? 2000, leases);
  return {
    imageUrl: (cid, image) =>
      deps.store.presignGet(layout.imageBytes(cid, image.id, image.ext), {
        expiresIn: presignSeconds,
        scope: layout.images(cid),
      }),
    async image(cid, iid) {
      const key = `${cid}/${iid}`;
      const hit = images.get(key);
      if (hit !== undefined) return hit;
      const meta = await loadImage(deps.store, cid, iid);
      if (meta !== undefined) {
        if (images.size > 100_000) images.clear();
        images.set(key, meta);
      }
      return meta;
    },
    store: deps.store,
    auth: deps.auth,
    campaigns: campaignRepo(deps.store, 1000, now),
    indexes,
    leases,
    predictions: predictionCache(deps.store, deps.predictor ?? noPredictor, {
      timeoutMs: deps.predictionTimeoutMs ?? 3000,
      now,
      heldId: (cid, iid) => indexes.state(cid, iid)?.id,
      onRemember: (cid, iid, version, packed, prediction) =>
        indexes.notePrediction(cid, iid, version, packed, prediction),
      ...(deps.log === undefined ? {} : { log: deps.log }),
    }),
    trainingRuns: deps.trainingRuns,
    models: deps.models,
    now,
    random: deps.random ?? Math.random,
    presignSeconds,
    importRoots: deps.importRoots ?? [],
    bucketStore: deps.bucketStore,
    schedules: deps.schedules,
  };
}

export type Env = { Variables: { principal: Principal } };

/** A router whose validation failures become 422 errors naming the field. */
export function router(): OpenAPIHono<Env> {
  return new OpenAPIHono<Env>({
    // The trie router reads `tasks:next` as a literal segment (the RegExp router takes `:next` as a parameter).
    router: new TrieRouter(),
    defaultHook: (result) => {
      if (!result.success) throw invalidInput(result.error, result.target);
    },
  });
}

/** A request part that fails its schema: 400 for ids in the path, else 422, naming the field. */
function invalidInput(error: z.ZodError, target: string): ApiError {
  const issue = error.issues[0]!;
  const keys = issue.code === "unrecognized_keys" ? (issue as { keys: string[] }).keys : [];
  const field = fieldOf([...issue.path, ...keys.slice(0, 1)]) || target;
  const status = target === "param" ? 400 : 422;
  return new ApiError(status, status === 400 ? "bad_id" : "invalid", `${field}: ${issue.message}`, field);
}

// The busiest routes (tasks:next, answers) declare their schemas for the OpenAPI document only and
// check requests with these, in the handler: @hono/zod-openapi's validators parse asynchronously and
// copy every header, a sixth of an answer's cost. The schemas and the errors are the same.

/** `value` checked by `schema`, or the error the validators give. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, target: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(result.error, target);
  return result.data;
}

const jsonType = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/** The request's JSON body, checked by `schema`: 415 for another media type, 400 when it does not parse. */
export async function validJson<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  if (!jsonType.test(c.req.header("content-type") ?? "")) throw notJsonType();
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw notJson();
  }
  return validate(schema, body, "json");
}

export const CampaignParams = z.object({ cid: Id.openapi({ param: { name: "cid", in: "path" } }) });
export const ImageParams = CampaignParams.extend({ iid: Id.openapi({ param: { name: "iid", in: "path" } }) });

export const ErrorBody = z
  .object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) })
  .openapi("Error");

export const errorResponses = {
  400: { description: "Bad request", content: { "application/json": { schema: ErrorBody } } },
  401: { description: "No or bad token", content: { "application/json": { schema: ErrorBody } } },
  403: { description: "Not allowed", content: { "application/json": { schema: ErrorBody } } },
  404: { description: "Not found", content: { "application/json": { schema: ErrorBody } } },
  422: { description: "Invalid body", content: { "application/json": { schema: ErrorBody } } },
} as const;

/** A path segment `<id>:<verb>` (Google's custom-method style), e.g. `3:promote`; undefined if it is not one. */
export function customMethod(segment: string, verb: string, pattern: RegExp): string | undefined {
  const suffix = `:${verb}`;
  if (!segment.endsWith(suffix)) return undefined;
  const id = segment.slice(0, -suffix.length);
  return pattern.test(id) ? id : undefined;
}

/** Route middleware: refuses non-admins before the body is even validated. */
export const adminOnly: MiddlewareHandler<Env> = async (c, next) => {
  requireAdmin(c.get("principal"));
  await next();
};

export function requireAdmin(principal: Principal): void {
  if (principal.role !== "admin") throw forbidden("admins only");
}

/** Annotators act only as themselves; admins may act for anyone. */
export function requireSelf(principal: Principal, annotator: string, field = "annotator"): void {
  if (principal.role !== "admin" && principal.subject !== annotator)
    throw forbidden(`you are ${principal.subject}, not ${annotator}`, field);
}

export function isMember(campaign: Campaign, annotator: string): boolean {
  return campaign.members.some((m) => m.id === annotator);
}
