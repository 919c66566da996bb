// Who the caller is (`GET /me`), and, in local deployments, tokens the admin issues for annotators
// (Cognito issues its own in AWS).
import { createRoute, z } from "@hono/zod-openapi";
import { type AppContext, adminOnly, errorResponses, requireAdmin, router } from "../context.ts";
import { ApiError } from "../errors.ts";
import { Id } from "../ids.ts";

export function tokenRoutes(ctx: AppContext) {
  const app = router();
  app.openapi(
    createRoute({
      method: "post",
      path: "/tokens",
      summary: "Issue a bearer token (admin, local deployments)",
      middleware: [adminOnly] as const,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.strictObject({ subject: Id, role: z.enum(["admin", "annotator"]).default("annotator") }),
            },
          },
        },
      },
      responses: {
        201: {
          description: "The token (shown once)",
          content: {
            "application/json": { schema: z.object({ token: z.string(), subject: z.string(), role: z.string() }) },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(c.get("principal"));
      const { subject, role } = c.req.valid("json");
      if (ctx.auth.issue === undefined)
        throw new ApiError(422, "unsupported", "tokens come from the identity provider here", "subject");
      return c.json({ token: await ctx.auth.issue({ subject, role }), subject, role }, 201);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/me",
      summary: "Who the bearer token is: the subject (the annotator id to answer as) and the role",
      responses: {
        200: {
          description: "The caller",
          content: {
            "application/json": { schema: z.object({ subject: z.string(), role: z.enum(["admin", "annotator"]) }) },
          },
        },
        ...errorResponses,
      },
    }),
    (c) => {
      const principal = c.get("principal");
      return c.json({ subject: principal.subject, role: principal.role }, 200);
    },
  );
  return app;
}
