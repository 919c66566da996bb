// Review: several annotators' answers for one image consolidated by IoU, and an admin's adjudication.
import { createRoute, z } from "@hono/zod-openapi";
import { clip } from "../annotations/geometry.ts";
import { Annotation, Box } from "../annotations/schema.ts";
import { type AppContext, adminOnly, errorResponses, ImageParams, requireAdmin, router } from "../context.ts";
import { ApiError, forbidden, invalid, notFound } from "../errors.ts";
import { layout } from "../layout.ts";
import { Consolidated, consolidate } from "../review/consolidate.ts";
import { getJson, isPreconditionFailed, listAll } from "../storage/port.ts";

export const Adjudication = z
  .object({ boxes: z.array(Box), note: z.string().optional(), by: z.string(), decidedAt: z.string() })
  .openapi("Adjudication");
export type Adjudication = z.infer<typeof Adjudication>;

const Review = z
  .object({
    imageId: z.string(),
    answers: z.array(Annotation),
    consolidated: Consolidated,
    adjudication: Adjudication.nullable(),
  })
  .openapi("Review");

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export async function loadAnswers(ctx: AppContext, cid: string, iid: string): Promise<Annotation[]> {
  const out: Annotation[] = [];
  for await (const item of listAll(ctx.store, layout.imageAnnotations(cid, iid))) {
    const parsed = Annotation.safeParse((await getJson(ctx.store, item.key))?.value);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

export function reviewRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: "get",
      path: "/campaigns/{cid}/images/{iid}/review",
      summary: "All answers for an image, consolidated, with agreement (admins and reviewers)",
      request: { params: ImageParams },
      responses: { 200: json(Review, "The review"), ...errorResponses },
    }),
    async (c) => {
      const { cid, iid } = c.req.valid("param");
      const principal = c.get("principal");
      const { campaign } = await ctx.campaigns.load(cid, principal);
      const reviewer = campaign.members.some((m) => m.id === principal.subject && m.role === "reviewer");
      if (principal.role !== "admin" && !reviewer) throw forbidden("admins and reviewers only");
      if ((await ctx.image(cid, iid)) === undefined) throw notFound(`image ${iid}`, "iid");
      const answers = await loadAnswers(ctx, cid, iid);
      const found = await getJson(ctx.store, layout.review(cid, iid));
      const adjudication = found === undefined ? null : Adjudication.parse(found.value);
      return c.json({ imageId: iid, answers, consolidated: consolidate(answers), adjudication }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/campaigns/{cid}/images/{iid}/review",
      summary: "Adjudicate: the final boxes for an image (admin)",
      middleware: [adminOnly] as const,
      request: {
        params: ImageParams,
        headers: z.object({ "if-match": z.string().max(200).optional() }),
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.strictObject({ boxes: z.array(Box).max(1000), note: z.string().max(2000).optional() }),
            },
          },
        },
      },
      responses: { 200: json(Adjudication, "Stored"), ...errorResponses, 412: json(z.any(), "ETag mismatch") },
    }),
    async (c) => {
      const { cid, iid } = c.req.valid("param");
      const principal = c.get("principal");
      requireAdmin(principal);
      const { campaign } = await ctx.campaigns.load(cid, principal);
      const image = await ctx.image(cid, iid);
      if (image === undefined) throw notFound(`image ${iid}`, "iid");
      const input = c.req.valid("json");
      const boxes = input.boxes.map((box, i) => {
        if (!campaign.labels.includes(box.label)) throw invalid(`boxes.${i}.label`, `unknown label ${box.label}`);
        const clipped = clip(box, image.width, image.height);
        if (clipped === undefined) throw invalid(`boxes.${i}`, "box lies outside the image");
        return clipped;
      });
      const adjudication: Adjudication = {
        boxes,
        ...(input.note === undefined ? {} : { note: input.note }),
        by: principal.subject,
        decidedAt: new Date(ctx.now()).toISOString(),
      };
      const ifMatch = c.req.valid("header")["if-match"];
      try {
        const { etag } = await ctx.store.put(layout.review(cid, iid), JSON.stringify(adjudication), {
          contentType: "application/json",
          ...(ifMatch === undefined ? {} : { ifMatch }),
        });
        return c.json(adjudication, 200, { etag });
      } catch (error) {
        if (isPreconditionFailed(error)) throw new ApiError(412, "etag_mismatch", "the review changed", "if-match");
        throw error;
      }
    },
  );

  return app;
}
