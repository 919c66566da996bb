// Training runs and model versions; only admins start runs or promote.
import { createRoute, z } from "@hono/zod-openapi";
import {
  type AppContext,
  adminOnly,
  CampaignParams,
  customMethod,
  errorResponses,
  requireAdmin,
  router,
} from "../context.ts";
import { ApiError, notFound } from "../errors.ts";
import { Id, isId } from "../ids.ts";
import { ModelVersion, TrainingRun } from "../training/port.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export function trainingRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: "post",
      path: "/campaigns/{cid}/training-runs",
      summary: "Start a training run now (admin)",
      middleware: [adminOnly] as const,
      request: { params: CampaignParams },
      responses: { 202: json(TrainingRun, "Started"), ...errorResponses },
    }),
    async (c) => {
      const { cid } = c.req.valid("param");
      const principal = c.get("principal");
      requireAdmin(principal);
      await ctx.campaigns.load(cid, principal);
      return c.json(await ctx.trainingRuns.start(cid, { kind: "manual", by: principal.subject }), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/campaigns/{cid}/training-runs",
      summary: "The campaign's runs, newest first",
      request: { params: CampaignParams },
      responses: { 200: json(z.object({ runs: z.array(TrainingRun) }), "Runs"), ...errorResponses },
    }),
    async (c) => {
      const { cid } = c.req.valid("param");
      await ctx.campaigns.load(cid, c.get("principal"));
      return c.json({ runs: await ctx.trainingRuns.list(cid) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/campaigns/{cid}/training-runs/{rid}",
      summary: "One run",
      request: { params: CampaignParams.extend({ rid: Id }) },
      responses: { 200: json(TrainingRun, "The run"), ...errorResponses },
    }),
    async (c) => {
      const { cid, rid } = c.req.valid("param");
      await ctx.campaigns.load(cid, c.get("principal"));
      const run = await ctx.trainingRuns.get(cid, rid);
      if (run === undefined) throw notFound(`run ${rid}`, "rid");
      return c.json(run, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/campaigns/{cid}/models",
      summary: "Model versions, newest first; `serving` marks the promoted one",
      request: { params: CampaignParams },
      responses: { 200: json(z.object({ models: z.array(ModelVersion) }), "Models"), ...errorResponses },
    }),
    async (c) => {
      const { cid } = c.req.valid("param");
      await ctx.campaigns.load(cid, c.get("principal"));
      return c.json({ models: await ctx.models.list(cid) }, 200);
    },
  );

  app.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/campaigns/{cid}/models/{version}:promote",
      summary: "Serve this model version (admin)",
      request: { params: CampaignParams.extend({ version: z.string().regex(/^\d{1,18}$/) }) },
      responses: { 200: json(ModelVersion, "Promoted"), ...errorResponses },
    }),
  );
  app.post("/campaigns/:cid/models/:action", async (c) => {
    const cid = c.req.param("cid");
    if (!isId(cid)) throw new ApiError(400, "bad_id", "cid: not a valid id", "cid");
    const version = customMethod(c.req.param("action"), "promote", /^\d{1,18}$/);
    if (version === undefined) throw new ApiError(404, "not_found", "expected models/{version}:promote", "version");
    const principal = c.get("principal");
    requireAdmin(principal);
    await ctx.campaigns.load(cid, principal);
    const promoted = await ctx.models.promote(cid, version);
    if (promoted === undefined) throw notFound(`model version ${version}`, "version");
    return c.json(promoted, 200);
  });

  return app;
}
