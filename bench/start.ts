// `boxloop start` idle: time until the API, web page and model server answer, and the process's
// peak RSS once idle (DESIGN.md budget: up in < 10 s, < 1.5 GB). Measured on a fresh data dir
// with one campaign's model served.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = join(import.meta.dirname, "..", "local", "bin", "boxloop.mjs");
const dataDir = mkdtempSync(join(tmpdir(), "bench-start-"));
const ports = { api: 18787, grpc: 18500, rest: 18501 };
const started = performance.now();
const child = spawn(
  process.execPath,
  [
    bin,
    "start",
    "--data-dir",
    dataDir,
    "--port",
    String(ports.api),
    "--grpc-port",
    String(ports.grpc),
    "--rest-api-port",
    String(ports.rest),
    "--json",
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const up = await new Promise<number>((resolve, reject) => {
  child.stdout.on("data", () => resolve(performance.now() - started));
  child.on("exit", (code) => reject(new Error(`boxloop start exited with ${code}`)));
});
const answer = async (url: string) => (await fetch(url)).status;
const statuses = {
  web: await answer(`http://127.0.0.1:${ports.api}/`),
  api: await answer(`http://127.0.0.1:${ports.api}/api/v1/openapi.json`),
  modelServer: await answer(`http://127.0.0.1:${ports.rest}/monitoring/prometheus/metrics`),
};
await new Promise((r) => setTimeout(r, 3000));
const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
console.log(`boxloop start: up (URL printed) in ${(up / 1000).toFixed(2)} s (budget 10 s)`);
console.log(`answers: web ${statuses.web}, API ${statuses.api}, model server ${statuses.modelServer}`);
console.log(`idle RSS ${(rssKb / 1024).toFixed(0)} MB, peak ${(peakKb / 1024).toFixed(0)} MB (budget 1536 MB)`);
child.kill("SIGINT");
await new Promise((r) => child.on("exit", r));
