// Export (streamed) and import of a campaign's labels in COCO, VOC, YOLO, CSV and TFRecord, through formats/.
import { createRoute, z } from "@hono/zod-openapi";
import { stream } from "hono/streaming";
import { campaignDataset, campaignImages, fileNames } from "../annotations/dataset.ts";
import { clip } from "../annotations/geometry.ts";
import type { Annotation } from "../annotations/schema.ts";
import { type AppContext, adminOnly, CampaignParams, errorResponses, requireAdmin, router } from "../context.ts";
import { ApiError } from "../errors.ts";
import {
  exportDataset,
  exportMediaType,
  FormatError,
  formats,
  importDataset,
  sourceFromFiles,
} from "../formats/index.ts";
import { Id } from "../ids.ts";
import { layout } from "../layout.ts";

export const importBodyLimit = 6 * 1024 * 1024;

const ImportBody = z
  .strictObject({
    format: z.enum(formats),
    /** File name → base64 contents (one file for COCO, CSV, TFRecord; the folder's files for VOC, YOLO). */
    files: z.record(z.string().min(1).max(512), z.base64()).refine((f) => Object.keys(f).length > 0, "no files"),
    annotator: Id.default("import"),
  })
  .openapi("AnnotationImport");

export function exportRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: "get",
      path: "/campaigns/{cid}/export",
      summary: "The campaign's labels in a format (VOC and YOLO as a tar); streamed",
      middleware: [adminOnly] as const,
      request: {
        params: CampaignParams,
        query: z.object({ format: z.enum(formats), split: z.enum(["train", "eval", "all"]).default("all") }),
      },
      responses: { 200: { description: "The export" }, ...errorResponses },
    }),
    async (c) => {
      const { cid } = c.req.valid("param");
      const { format, split } = c.req.valid("query");
      const principal = c.get("principal");
      requireAdmin(principal);
      const { campaign } = await ctx.campaigns.load(cid, principal);
      const { dataset, files } = await campaignDataset(ctx.store, campaign, split);
      const { contentType, fileName } = exportMediaType(format);
      const loadImage = async (name: string) => {
        const image = files.get(name);
        const object =
          image === undefined ? undefined : await ctx.store.get(layout.imageBytes(cid, image.id, image.ext));
        if (object === undefined) throw new FormatError("image bytes missing", { file: name });
        return object.body;
      };
      c.header("content-type", contentType);
      c.header("content-disposition", `attachment; filename="${cid}-${fileName}"`);
      return stream(c, async (out) => {
        for await (const chunk of exportDataset(dataset, format, { loadImage })) await out.write(chunk);
      });
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/campaigns/{cid}/annotations:import",
      summary: "Import labels for the campaign's images, matched by file name, as one annotator's answers (admin)",
      middleware: [adminOnly] as const,
      request: {
        params: CampaignParams,
        body: { required: true, content: { "application/json": { schema: ImportBody } } },
      },
      responses: {
        200: {
          description: "What was imported",
          content: {
            "application/json": {
              schema: z.object({
                imported: z.int(),
                unmatched: z.array(z.string()),
                unknownLabels: z.array(z.string()),
              }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { cid } = c.req.valid("param");
      const principal = c.get("principal");
      requireAdmin(principal);
      const { campaign } = await ctx.campaigns.load(cid, principal);
      const { format, files, annotator } = c.req.valid("json");
      const decoded = Object.fromEntries(
        Object.entries(files).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, "base64"))]),
      );
      const images = await campaignImages(ctx.store, cid);
      const names = fileNames(images);
      const byName = new Map<string, (typeof images)[number]>();
      for (const image of images) {
        byName.set(names.get(image.id)!, image);
        byName.set(`${image.id}.${image.ext}`, image);
      }
      let dataset: Awaited<ReturnType<typeof importDataset>>;
      try {
        dataset = await importDataset(format, sourceFromFiles(decoded), {
          images: {
            list: async () => [...byName.keys()],
            read: async (name) => {
              const image = byName.get(name);
              const object = image && (await ctx.store.get(layout.imageBytes(cid, image.id, image.ext)));
              if (!object) throw new FormatError("no such image in the campaign", { file: name });
              return object.body;
            },
            size: async (name) => {
              const image = byName.get(name);
              if (!image) throw new FormatError("no such image in the campaign", { file: name });
              return { width: image.width, height: image.height };
            },
          },
        });
      } catch (error) {
        if (error instanceof FormatError)
          throw new ApiError(422, "bad_format", error.message, error.where.field ?? "files");
        throw error;
      }
      const unmatched: string[] = [];
      const unknown = new Set<string>();
      let imported = 0;
      for (const entry of dataset.images) {
        const image = byName.get(entry.fileName) ?? byName.get(entry.fileName.split("/").at(-1)!);
        if (image === undefined) {
          unmatched.push(entry.fileName);
          continue;
        }
        const boxes = entry.boxes.flatMap((b) => {
          if (!campaign.labels.includes(b.label)) {
            unknown.add(b.label);
            return [];
          }
          const box = clip(
            { label: b.label, x: b.xmin, y: b.ymin, width: b.xmax - b.xmin, height: b.ymax - b.ymin },
            image.width,
            image.height,
          );
          return box === undefined ? [] : [box];
        });
        const annotation: Annotation = {
          campaignId: cid,
          imageId: image.id,
          annotator,
          answer: "accept",
          boxes,
          modelVersion: null,
          durationMs: 0,
          fates: null,
          submittedAt: new Date(ctx.now()).toISOString(),
          by: principal.subject,
        };
        await ctx.store.put(layout.annotation(cid, image.id, annotator), JSON.stringify(annotation), {
          contentType: "application/json",
        });
        imported++;
      }
      ctx.indexes.invalidate(cid);
      return c.json({ imported, unmatched, unknownLabels: [...unknown] }, 200);
    },
  );

  return app;
}
