// Images: presigned upload then confirm (no image passes through Lambda's 6 MB limit), import from
// an S3 prefix or a local folder, and reading one image's record.
import { randomUUID } from "node:crypto";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { createRoute, z } from "@hono/zod-openapi";
import {
  type AppContext,
  adminOnly,
  CampaignParams,
  customMethod,
  errorResponses,
  ImageParams,
  requireAdmin,
  router,
  validate,
} from "../context.ts";
import { ApiError, notFound, notJson } from "../errors.ts";
import { Id, idPattern, isId } from "../ids.ts";
import { ImageMeta, ingestImage, maxImageBytes } from "../images/ingest.ts";
import { layout, parseAnnotationKey } from "../layout.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const UploadRequest = z
  .strictObject({
    fileName: z.string().min(1).max(255),
    contentType: z.enum(["image/jpeg", "image/png", "image/gif", "image/bmp", "image/webp", "image/tiff"]),
  })
  .openapi("UploadRequest");
const Upload = z
  .object({ uploadId: z.string(), uploadUrl: z.string(), method: z.literal("PUT"), expiresAt: z.string() })
  .openapi("Upload");
const Ingested = z.object({ image: ImageMeta, duplicate: z.boolean() }).openapi("Ingested");

const ImportRequest = z
  .discriminatedUnion("source", [
    z.strictObject({ source: z.literal("folder"), path: z.string().min(1).max(4096) }),
    z.strictObject({
      source: z.literal("s3"),
      bucket: z
        .string()
        .min(3)
        .max(63)
        .regex(/^[a-z0-9][a-z0-9.-]+$/)
        .optional(),
      prefix: z.string().max(1024),
      cursor: z.string().max(1024).optional(),
      limit: z.int().min(1).max(1000).default(200),
    }),
  ])
  .openapi("ImportRequest");
const ImportResult = z
  .object({
    imported: z.int(),
    duplicates: z.int(),
    skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
    cursor: z.string().optional(),
  })
  .openapi("ImportResult");

const imageNames = /\.(jpe?g|png|gif|bmp|webp|tiff?)$/i;

export function imageRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: "post",
      path: "/campaigns/{cid}/images",
      summary: "Start an upload: a presigned PUT URL (admin); then confirm it",
      middleware: [adminOnly] as const,
      request: {
        params: CampaignParams,
        body: { required: true, content: { "application/json": { schema: UploadRequest } } },
      },
      responses: { 201: json(Upload, "Upload URL"), ...errorResponses },
    }),
    async (c) => {
      const { cid } = c.req.valid("param");
      requireAdmin(c.get("principal"));
      await ctx.campaigns.load(cid, c.get("principal"));
      const { contentType } = c.req.valid("json");
      const uploadId = `u-${randomUUID()}`;
      const url = await ctx.store.presignPut(layout.upload(cid, uploadId), {
        expiresIn: ctx.presignSeconds,
        contentType,
      });
      const expiresAt = new Date(ctx.now() + ctx.presignSeconds * 1000).toISOString();
      return c.json({ uploadId, uploadUrl: absolute(url, c.req.url), method: "PUT" as const, expiresAt }, 201);
    },
  );

  const Confirm = z.strictObject({ fileName: z.string().min(1).max(255).optional() });
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/campaigns/{cid}/uploads/{uploadId}:confirm",
      summary: "Add an uploaded image: size read from the file, duplicates found by content hash (admin)",
      request: {
        params: CampaignParams.extend({ uploadId: Id }),
        body: { required: false, content: { "application/json": { schema: Confirm } } },
      },
      responses: { 200: json(Ingested, "Added, or the existing duplicate"), ...errorResponses },
    }),
  );
  app.post("/campaigns/:cid/uploads/:action", async (c) => {
    const cid = c.req.param("cid");
    if (!isId(cid)) throw new ApiError(400, "bad_id", "cid: not a valid id", "cid");
    const uploadId = customMethod(c.req.param("action"), "confirm", idPattern);
    if (uploadId === undefined || !isId(uploadId))
      throw new ApiError(404, "not_found", "expected uploads/{uploadId}:confirm", "uploadId");
    requireAdmin(c.get("principal"));
    const { campaign } = await ctx.campaigns.load(cid, c.get("principal"));
    const text = await c.req.text();
    let body: z.infer<typeof Confirm> = {};
    if (text.trim() !== "") {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        throw notJson();
      }
      body = validate(Confirm, raw, "json");
    }
    const key = layout.upload(cid, uploadId);
    const object = await ctx.store.get(key);
    if (object === undefined) throw notFound(`upload ${uploadId}`, "uploadId");
    const result = await ingestImage(ctx.store, campaign, object.body, body.fileName ?? uploadId, new Date(ctx.now()));
    await ctx.store.delete(key);
    ctx.indexes.noteImage(cid, result.image);
    return c.json(result, 200);
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/campaigns/{cid}/images:import",
      summary: "Import images from an S3 prefix (paged by cursor) or a local folder (admin)",
      middleware: [adminOnly] as const,
      request: {
        params: CampaignParams,
        body: { required: true, content: { "application/json": { schema: ImportRequest } } },
      },
      responses: { 200: json(ImportResult, "What was imported"), ...errorResponses },
    }),
    async (c) => {
      const { cid } = c.req.valid("param");
      requireAdmin(c.get("principal"));
      const { campaign } = await ctx.campaigns.load(cid, c.get("principal"));
      const request = c.req.valid("json");
      const result = { imported: 0, duplicates: 0, skipped: [] as { name: string; reason: string }[] };
      const add = async (name: string, bytes: Uint8Array) => {
        try {
          const out = await ingestImage(ctx.store, campaign, bytes, name, new Date(ctx.now()));
          if (out.duplicate) result.duplicates++;
          else result.imported++;
          ctx.indexes.noteImage(cid, out.image);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          result.skipped.push({ name, reason: error.message });
        }
      };
      if (request.source === "folder") {
        const dir = await allowedFolder(ctx.importRoots, request.path);
        for (const name of (await readdir(dir)).sort()) {
          if (!imageNames.test(name)) continue;
          const path = join(dir, name);
          const info = await stat(path);
          if (!info.isFile()) continue;
          if (info.size > maxImageBytes) result.skipped.push({ name, reason: "over 50 MB" });
          else await add(name, new Uint8Array(await readFile(path)));
        }
        return c.json(result, 200);
      }
      const source = request.bucket === undefined ? ctx.store : ctx.bucketStore?.(request.bucket);
      if (source === undefined)
        throw new ApiError(422, "unsupported", "importing from another bucket is not set up here", "bucket");
      if (request.bucket === undefined && request.prefix.startsWith("campaigns/"))
        throw new ApiError(422, "invalid", "cannot import from the campaigns' own data", "prefix");
      let page: Awaited<ReturnType<typeof source.list>>;
      try {
        page = await source.list(request.prefix, {
          limit: request.limit,
          ...(request.cursor === undefined ? {} : { cursor: request.cursor }),
        });
      } catch (error) {
        if ((error as { code?: string }).code === "InvalidKey")
          throw new ApiError(422, "invalid", "bad prefix", "prefix");
        throw error;
      }
      for (const item of page.items) {
        const name = item.key.split("/").at(-1)!;
        if (!imageNames.test(name)) continue;
        if (item.size > maxImageBytes) {
          result.skipped.push({ name, reason: "over 50 MB" });
          continue;
        }
        const object = await source.get(item.key);
        if (object !== undefined) await add(name, object.body);
      }
      return c.json({ ...result, ...(page.cursor === undefined ? {} : { cursor: page.cursor }) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/campaigns/{cid}/images/{iid}",
      summary: "An image's record, a URL to its bytes, and who answered it",
      request: { params: ImageParams },
      responses: {
        200: json(ImageMeta.extend({ url: z.string(), annotators: z.array(z.string()) }), "The image"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { cid, iid } = c.req.valid("param");
      await ctx.campaigns.load(cid, c.get("principal"));
      const image = await ctx.image(cid, iid);
      if (image === undefined) throw notFound(`image ${iid}`, "iid");
      const url = await ctx.imageUrl(cid, image);
      const page = await ctx.store.list(layout.imageAnnotations(cid, iid));
      const annotators = page.items.flatMap((i) => parseAnnotationKey(i.key)?.annotator ?? []);
      return c.json({ ...image, url: absolute(url, c.req.url), annotators }, 200);
    },
  );

  return app;
}

/** Presigned URLs of the local store are paths on this server: they get the request's origin. */
export function absolute(url: string, requestUrl: string): string {
  if (!url.startsWith("/")) return url;
  return requestUrl.slice(0, requestUrl.indexOf("/", requestUrl.indexOf("//") + 2)) + url;
}

async function allowedFolder(roots: string[], path: string): Promise<string> {
  if (roots.length === 0) throw new ApiError(403, "forbidden", "folder import is not enabled on this server", "path");
  if (!isAbsolute(path)) throw new ApiError(422, "invalid", "an absolute path is needed", "path");
  let real: string;
  try {
    real = await realpath(resolve(path));
    if (!(await stat(real)).isDirectory()) throw new Error("not a folder");
  } catch {
    throw new ApiError(404, "not_found", `no folder ${path}`, "path");
  }
  for (const root of roots) {
    const rel = relative(await realpath(root).catch(() => root), real);
    if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) return real;
  }
  throw new ApiError(403, "forbidden", "that folder is outside the import roots", "path");
}
