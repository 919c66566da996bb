// Campaigns: create, list, read with progress, change settings.
import { randomUUID } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { Progress, progress } from "../campaigns/progress.ts";
import { CampaignList } from "../campaigns/repo.ts";
import { Campaign, CampaignInput, CampaignPatch } from "../campaigns/schema.ts";
import { type AppContext, adminOnly, CampaignParams, errorResponses, requireAdmin, router } from "../context.ts";
import { ApiError } from "../errors.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const CampaignWithProgress = Campaign.extend({ progress: Progress }).openapi("CampaignWithProgress");

export function campaignRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: "post",
      path: "/campaigns",
      summary: "Create a campaign (admin)",
      middleware: [adminOnly] as const,
      request: { body: { required: true, content: { "application/json": { schema: CampaignInput } } } },
      responses: { 201: json(Campaign, "Created"), ...errorResponses, 409: json(z.any(), "Exists") },
    }),
    async (c) => {
      const principal = c.get("principal");
      requireAdmin(principal);
      const input = c.req.valid("json");
      const id = input.id ?? `c-${randomUUID().slice(0, 8)}`;
      const campaign: Campaign = {
        ...input,
        id,
        owner: principal.subject,
        modelName: input.modelName ?? id,
        createdAt: new Date(ctx.now()).toISOString(),
      };
      const { etag } = await ctx.campaigns.create(campaign);
      if (campaign.schedule !== null) await ctx.schedules?.sync(campaign);
      return c.json(campaign, 201, { etag });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/campaigns",
      summary: "The campaigns you can see",
      responses: { 200: json(CampaignList, "Campaigns"), ...errorResponses },
    }),
    async (c) => c.json({ campaigns: await ctx.campaigns.list(c.get("principal")) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/campaigns/{cid}",
      summary: "A campaign with its progress",
      request: { params: CampaignParams },
      responses: { 200: json(CampaignWithProgress, "The campaign"), ...errorResponses },
    }),
    async (c) => {
      const { cid } = c.req.valid("param");
      const { campaign, etag } = await ctx.campaigns.load(cid, c.get("principal"));
      const [index, models] = await Promise.all([ctx.indexes.get(campaign), ctx.models.list(cid).catch(() => [])]);
      const model = models.find((m) => m.serving) ?? null;
      return c.json({ ...campaign, progress: progress(index, campaign.answersPerImage, ctx.now(), model) }, 200, {
        etag,
      });
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/campaigns/{cid}",
      summary: "Change a campaign's settings (admin; If-Match optional)",
      middleware: [adminOnly] as const,
      request: {
        params: CampaignParams,
        headers: z.object({ "if-match": z.string().max(200).optional() }),
        body: { required: true, content: { "application/json": { schema: CampaignPatch } } },
      },
      responses: { 200: json(Campaign, "Changed"), ...errorResponses, 412: json(z.any(), "ETag mismatch") },
    }),
    async (c) => {
      const { cid } = c.req.valid("param");
      const principal = c.get("principal");
      requireAdmin(principal);
      const { campaign, etag } = await ctx.campaigns.load(cid, principal);
      const ifMatch = c.req.valid("header")["if-match"];
      if (ifMatch !== undefined && ifMatch !== etag)
        throw new ApiError(412, "etag_mismatch", "the campaign changed; reload it", "if-match");
      const patch = c.req.valid("json");
      const removed = patch.labels === undefined ? [] : campaign.labels.filter((l) => !patch.labels!.includes(l));
      if (removed.length > 0)
        throw new ApiError(409, "labels_in_use", `labels cannot be removed: ${removed.join(", ")}`, "labels");
      const changed: Campaign = { ...campaign };
      for (const [key, value] of Object.entries(patch))
        if (value !== undefined) Object.assign(changed, { [key]: value });
      const saved = await ctx.campaigns.save(changed, etag);
      if (patch.schedule !== undefined) await ctx.schedules?.sync(changed);
      return c.json(changed, 200, { etag: saved.etag });
    },
  );

  return app;
}
