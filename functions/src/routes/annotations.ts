// Answers: PUT is idempotent, validated, clipped to the image, conditional with If-Match, and
// acknowledged only once stored durably. It records what became of each predicted box shown.
import { createRoute, z } from "@hono/zod-openapi";
import { clip, fates } from "../annotations/geometry.ts";
import { Annotation, AnswerInput, type Box } from "../annotations/schema.ts";
import type { Campaign } from "../campaigns/schema.ts";
import {
  type AppContext,
  errorResponses,
  ImageParams,
  isMember,
  requireSelf,
  router,
  validate,
  validJson,
} from "../context.ts";
import { ApiError, forbidden, invalid, notFound } from "../errors.ts";
import { Id } from "../ids.ts";
import { isoTime } from "../iso-time.ts";
import { layout } from "../layout.ts";
import { unpack } from "../predictions/port.ts";
import { getJson, isPreconditionFailed } from "../storage/port.ts";
import { answerBy, fateCounts, heldLease } from "../tasks/campaign-index.ts";
import type { HeldLease } from "../tasks/lease.ts";

const Params = ImageParams.extend({ annotator: Id.openapi({ param: { name: "annotator", in: "path" } }) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const Conditions = z.object({
  "if-match": z.string().max(200).optional(),
  "if-none-match": z.literal("*").optional(),
});

export function annotationRoutes(ctx: AppContext) {
  const app = router();

  // Checked in the handler (see `validate` in context.ts).
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "put",
      path: "/campaigns/{cid}/images/{iid}/annotations/{annotator}",
      summary: "Store an answer (idempotent; If-Match / If-None-Match: * for concurrency)",
      request: {
        params: Params,
        headers: Conditions,
        body: { required: true, content: { "application/json": { schema: AnswerInput } } },
      },
      responses: {
        200: json(Annotation, "Stored durably"),
        ...errorResponses,
        409: json(z.any(), "No live lease"),
        412: json(z.any(), "ETag mismatch"),
      },
    }),
  );
  app.put("/campaigns/:cid/images/:iid/annotations/:annotator", async (c) => {
    const { cid, iid, annotator } = validate(Params, c.req.param(), "param");
    const headers = validate(
      Conditions,
      { "if-match": c.req.header("if-match"), "if-none-match": c.req.header("if-none-match") },
      "header",
    );
    const input = await validJson(c, AnswerInput);
    const principal = c.get("principal");
    requireSelf(principal, annotator);
    const { campaign } = await ctx.campaigns.load(cid, principal);
    if (principal.role !== "admin" && !isMember(campaign, annotator))
      throw forbidden(`${annotator} is not a member of ${cid}`, "annotator");
    // The campaign view's state of the image, when built, holds its record, answers and prediction.
    const state = ctx.indexes.state(cid, iid);
    const image = state ?? (await ctx.image(cid, iid));
    if (image === undefined) throw notFound(`image ${iid}`, "iid");
    const labels = new Set(campaign.labels);
    const boxes: Box[] = input.boxes.map((box, i) => {
      if (!labels.has(box.label)) throw invalid(`boxes.${i}.label`, `unknown label ${JSON.stringify(box.label)}`);
      const clipped = clip(box, image.width, image.height);
      if (clipped === undefined)
        throw invalid(`boxes.${i}`, `box lies outside the ${image.width}×${image.height} image`);
      return clipped;
    });
    const key = layout.annotation(cid, iid, annotator);
    const nowMs = ctx.now();
    // A first answer needs the annotator's live lease, released once the answer is stored.
    let held: HeldLease | undefined;
    // A view that follows every change of the store knows the image's answers and lease as stored.
    const known = state !== undefined && ctx.indexes.current(cid) ? state : undefined;
    const answered = known ? answerBy(known, annotator) !== undefined : (await ctx.store.head(key)) !== undefined;
    if (!answered) {
      held = (known && heldLease(known, annotator, nowMs)) ?? (await readHeld(ctx, cid, iid, nowMs));
      if (held === undefined || held.annotator !== annotator)
        throw new ApiError(409, "no_lease", `${annotator} holds no lease on image ${iid}; call tasks:next`, "lease");
      if (!held.live) throw new ApiError(409, "lease_expired", `the lease on image ${iid} expired`, "lease");
    }
    let shown: Box[] | null = null;
    if (input.modelVersion !== null) {
      const prediction =
        state?.predictedBy === input.modelVersion && state.prediction !== undefined
          ? unpack(state.prediction)
          : await ctx.predictions.shown(cid, input.modelVersion, iid).catch(() => undefined);
      if (prediction !== undefined)
        shown = prediction.boxes
          .filter((b) => b.score >= campaign.threshold)
          .map(({ label, x, y, width, height }) => ({ label, x, y, width, height }));
    }
    const annotation: Annotation = {
      campaignId: cid,
      imageId: iid,
      annotator,
      answer: input.answer,
      boxes,
      modelVersion: input.modelVersion,
      durationMs: input.durationMs,
      fates: shown === null ? null : fates(shown, boxes),
      ...(input.flagged ? { flagged: true } : {}),
      submittedAt: isoTime(nowMs),
      by: principal.subject,
    };
    const text = JSON.stringify(annotation);
    const counts = fateCounts(annotation.fates);
    const note = { answer: input.answer, at: nowMs, ...(counts ? { fates: counts } : {}) };
    let etag: string;
    try {
      ({ etag } = await ctx.indexes.writeAnswer(cid, state, annotator, key, note, () =>
        ctx.store.put(key, text, {
          contentType: "application/json",
          ...(headers["if-match"] === undefined ? {} : { ifMatch: headers["if-match"] }),
          ...(headers["if-none-match"] === undefined ? {} : { ifNoneMatch: "*" as const }),
        }),
      ));
    } catch (error) {
      if (isPreconditionFailed(error))
        throw new ApiError(
          412,
          "etag_mismatch",
          "the answer changed since you read it",
          headers["if-match"] === undefined ? "if-none-match" : "if-match",
        );
      throw error;
    }
    if (held !== undefined) {
      await ctx.leases.release(cid, iid, held).catch(() => {});
      ctx.indexes.noteLease(cid, iid, 0);
      await maybeRetrain(ctx, campaign).catch(() => {});
    }
    return c.body(text, 200, { etag, "content-type": "application/json" });
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/campaigns/{cid}/images/{iid}/annotations/{annotator}",
      summary: "Read an answer (with its ETag)",
      request: { params: Params },
      responses: { 200: json(Annotation, "The answer"), ...errorResponses },
    }),
    async (c) => {
      const { cid, iid, annotator } = c.req.valid("param");
      const principal = c.get("principal");
      if (principal.role !== "admin" && principal.subject !== annotator)
        throw forbidden("not your answer", "annotator");
      await ctx.campaigns.load(cid, principal);
      const found = await getJson(ctx.store, layout.annotation(cid, iid, annotator));
      if (found === undefined) throw notFound(`answer of ${annotator} for ${iid}`, "annotator");
      return c.json(Annotation.parse(found.value), 200, { etag: found.etag });
    },
  );

  return app;
}

/** The image's lease as storage holds it (when the view does not know it). */
async function readHeld(ctx: AppContext, cid: string, iid: string, nowMs: number): Promise<HeldLease | undefined> {
  const read = await ctx.leases.read(cid, iid, nowMs);
  return read && { annotator: read.lease.annotator, etag: read.etag, live: read.live };
}

const triggered = new WeakMap<AppContext, Map<string, number>>();

/** Starts a run each time the campaign's answer count passes a multiple of `retrainEvery` (runs dedupe by it). */
async function maybeRetrain(ctx: AppContext, campaign: Campaign) {
  if (campaign.retrainEvery <= 0) return;
  const { answers } = await ctx.indexes.get(campaign);
  const reached = Math.floor(answers / campaign.retrainEvery) * campaign.retrainEvery;
  const seen = triggered.get(ctx) ?? new Map<string, number>();
  triggered.set(ctx, seen);
  if (reached === 0 || (seen.get(campaign.id) ?? 0) >= reached) return;
  seen.set(campaign.id, reached);
  await ctx.trainingRuns.start(campaign.id, { kind: "answers", answers: reached });
}
