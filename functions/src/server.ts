// The API on one machine with @hono/node-server. `startServer` is what `boxloop start` calls;
// run directly: `npx tsx functions/src/server.ts --data-dir DIR --admin-token TOKEN [--port 8787]
// [--host 127.0.0.1] [--web-dir web/dist] [--import-root DIR]`. Prints `{"url": …}` once listening.
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { createApp } from "./app.ts";
import type { AppDeps } from "./context.ts";
import { localDeps } from "./deps-local.ts";
import { LocalStore } from "./storage/local.ts";

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(
  deps: AppDeps,
  options: { port?: number; host?: string } = {},
): Promise<RunningServer> {
  // A local store replays what a crash left in its journal before the first request.
  if (deps.store instanceof LocalStore) await deps.store.ready();
  const app = createApp(deps);
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? 8787, hostname: host }, (info: AddressInfo) => {
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: async () => {
          await new Promise<void>((done) => server.close(() => done()));
          if (deps.store instanceof LocalStore) await deps.store.close();
        },
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      "data-dir": { type: "string", default: ".boxloop" },
      "admin-token": { type: "string" },
      port: { type: "string", default: "8787" },
      host: { type: "string", default: "127.0.0.1" },
      "web-dir": { type: "string" },
      "import-root": { type: "string", multiple: true },
      secret: { type: "string" },
    },
  });
  const adminToken = values["admin-token"] ?? process.env.BOXLOOP_ADMIN_TOKEN;
  if (adminToken === undefined || adminToken.length < 16) {
    console.error("--admin-token (or BOXLOOP_ADMIN_TOKEN) of at least 16 characters is needed");
    process.exit(2);
  }
  const webDir = values["web-dir"] ?? join(import.meta.dirname, "..", "..", "web", "dist");
  const running = await startServer(
    localDeps({
      dataDir: values["data-dir"],
      adminToken,
      importRoots: values["import-root"] ?? [],
      ...(values.secret === undefined ? {} : { secret: values.secret }),
      ...(existsSync(webDir) ? { webDir } : {}),
    }),
    { port: Number(values.port), host: values.host },
  );
  console.log(JSON.stringify({ url: running.url }));
  // A clean stop writes every acknowledged answer to its file first (a kill is fine too: the
  // journal is replayed on the next start).
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    process.once(signal, () => void running.close().then(() => process.exit(0)));
}
