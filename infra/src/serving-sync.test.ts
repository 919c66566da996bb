// The sidecar script and TF Serving's health check are shell text: run them with the real bash.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { restStatusCheck, SYNC_SCRIPT } from "./serving-sync.ts";

test("the sync script parses as bash", () => {
  const result = spawnSync("bash", ["-n"], { input: SYNC_SCRIPT, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
});

/** Exit code of the health check command run by bash against `port`. */
function runCheck(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", restStatusCheck(port, "health")], { stdio: "ignore", timeout: 5000 });
    child.on("close", (code) => resolve(code));
  });
}

async function serve(status: number, paths: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    res.writeHead(status, { "content-type": "application/json" }).end('{"error":"x"}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;
const close = (server: Server) => new Promise((resolve) => server.close(resolve));

test("health check: healthy when the REST status route answers 200 (model loaded) or 404 (none yet)", async () => {
  for (const status of [200, 404]) {
    const paths: string[] = [];
    const server = await serve(status, paths);
    try {
      assert.equal(await runCheck(portOf(server)), 0, `status ${status}`);
      assert.deepEqual(paths, ["/v1/models/health"]);
    } finally {
      await close(server);
    }
  }
});

test("health check: unhealthy on a 500, and when nothing listens", async () => {
  const server = await serve(500, []);
  const port = portOf(server);
  try {
    assert.notEqual(await runCheck(port), 0);
  } finally {
    await close(server);
  }
  assert.notEqual(await runCheck(port), 0);
});
