// tasks:next — an image nobody else holds, with its predictions and a lease; 204 when none is left.
import { createRoute, z } from "@hono/zod-openapi";
import {
  type AppContext,
  CampaignParams,
  errorResponses,
  isMember,
  requireSelf,
  router,
  validate,
  validJson,
} from "../context.ts";
import { forbidden } from "../errors.ts";
import { Id } from "../ids.ts";
import { ImageMeta } from "../images/ingest.ts";
import { Prediction } from "../predictions/port.ts";
import { nextTask } from "../tasks/next-task.ts";
import { absolute } from "./images.ts";

const Task = z
  .object({
    campaignId: z.string(),
    image: ImageMeta.extend({ url: z.string() }),
    lease: z.object({ annotator: z.string(), leasedAt: z.string(), expiresAt: z.string() }),
    labels: z.array(z.string()),
    threshold: z.number(),
    /** The boxes the model proposes at or above the campaign's threshold; null when none could be had. */
    predictions: Prediction.nullable(),
    predictionsUnavailable: z.boolean(),
  })
  .openapi("Task");

const NextTaskBody = z.strictObject({ annotator: Id });

export function taskRoutes(ctx: AppContext) {
  const app = router();
  // Checked in the handler (see `validate` in context.ts).
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/campaigns/{cid}/tasks:next",
      summary: "Lease the next image for an annotator",
      request: {
        params: CampaignParams,
        body: { required: true, content: { "application/json": { schema: NextTaskBody } } },
      },
      responses: {
        200: { description: "A task", content: { "application/json": { schema: Task } } },
        204: { description: "Nothing left for this annotator" },
        ...errorResponses,
      },
    }),
  );
  app.post("/campaigns/:cid/tasks:next", async (c) => {
    const { cid } = validate(CampaignParams, c.req.param(), "param");
    const { annotator } = await validJson(c, NextTaskBody);
    const principal = c.get("principal");
    requireSelf(principal, annotator);
    const { campaign } = await ctx.campaigns.load(cid, principal);
    if (principal.role !== "admin" && !isMember(campaign, annotator))
      throw forbidden(`${annotator} is not a member of ${cid}`, "annotator");
    const task = await nextTask(ctx, campaign, annotator);
    if (task === undefined) return c.body(null, 204);
    const { image, lease, lookup } = task;
    const url = await ctx.imageUrl(cid, image);
    const predictions =
      lookup.status === "ok"
        ? {
            modelVersion: lookup.prediction.modelVersion,
            boxes: lookup.prediction.boxes.filter((b) => b.score >= campaign.threshold),
          }
        : null;
    return c.json(
      {
        campaignId: cid,
        image: { ...image, url: absolute(url, c.req.url) },
        lease: { annotator: lease.annotator, leasedAt: lease.leasedAt, expiresAt: lease.expiresAt },
        labels: campaign.labels,
        threshold: campaign.threshold,
        predictions,
        predictionsUnavailable: lookup.status === "unavailable",
      },
      200,
    );
  });
  return app;
}
