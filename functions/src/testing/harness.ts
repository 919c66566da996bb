// Builds the real app in-process over a temporary local store, for tests (STYLE.md #4).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../app.ts";
import type { AppDeps } from "../context.ts";
import { localDeps } from "../deps-local.ts";

export const adminToken = "admin-token-for-tests-0123456789";

export interface Harness {
  app: ReturnType<typeof createApp>;
  deps: ReturnType<typeof localDeps>;
  dir: string;
  clock: { now: number };
  /** A JSON request with a bearer token (the admin's unless given). */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

export function harness(overrides: Partial<Omit<AppDeps, "store">> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-api-"));
  const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  const deps = localDeps(
    { dataDir: dir, adminToken, secret: "test-secret" },
    { clock: () => clock.now, indexTtlMs: 0, ...overrides },
  );
  const app = createApp(deps);
  return {
    app,
    deps,
    dir,
    clock,
    call: (method, path, body, options = {}) =>
      Promise.resolve(
        app.request(`http://localhost/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${options.token ?? adminToken}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...options.headers,
          },
          ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
        }),
      ),
    close: async () => {
      await deps.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
