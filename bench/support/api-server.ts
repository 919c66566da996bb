// The process `bench/api.ts` loads: the real API over a local-directory store, with an in-process
// predictor whose predictions are all cached already; or, with `--bare`, a bare Hono app (the
// baseline). Prints `{"url"}` once listening, then `{"log"}` for each of the API's log lines.
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { localDeps } from "@boxloop/functions/deps-local";
import type { Predictor } from "@boxloop/functions/predictions/port";
import { startServer } from "@boxloop/functions/server";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const { values } = parseArgs({
  options: { bare: { type: "boolean" }, "data-dir": { type: "string" }, "admin-token": { type: "string" } },
});

/** Answers only from the cache in this benchmark: a call here would mean a cache miss. */
export const cachedOnly: Predictor = {
  currentVersion: async () => "1",
  predict: async () => {
    throw new Error("prediction not cached");
  },
};

// A clean exit on SIGTERM, so `--cpu-prof` can write its profile.
process.on("SIGTERM", () => process.exit(0));
// On SIGUSR2, the event loop's busy time and the process's CPU time so far, in ms (`{"usage"}`): the
// bench divides their growth over a load by its requests.
process.on("SIGUSR2", () => {
  const { user, system } = process.cpuUsage();
  const busyMs = performance.eventLoopUtilization().active;
  console.log(JSON.stringify({ usage: { busyMs, cpuMs: (user + system) / 1000 } }));
});

if (values.bare) {
  const app = new Hono();
  app.get("/bare", (c) => c.json({ ok: true }));
  app.post("/bare", async (c) => c.json({ ok: true, got: await c.req.json() }));
  app.put("/bare", async (c) => c.json({ ok: true, got: await c.req.json() }));
  serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
    console.log(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }));
  });
} else {
  const running = await startServer(
    localDeps(
      { dataDir: values["data-dir"]!, adminToken: values["admin-token"]! },
      { predictor: cachedOnly, log: (line) => console.log(JSON.stringify({ log: line })) },
    ),
    { port: 0 },
  );
  console.log(JSON.stringify({ url: running.url }));
}
