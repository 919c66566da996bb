// Model server overhead: predict on a 640×480 JPEG over REST ({"b64"}) and gRPC (DT_STRING), at
// concurrency 1 and 8, against decoding the JPEG and running the same TensorFlow.js model in this
// process. `boxloop serve` runs as a child process (as it would in `boxloop start`), once without
// and once with --enable-batching. Prints p50/p99 latency, throughput and the ratios.
// Usage: npm run bench -- model-server [--requests 40] [--trainer-export DIR]
import { spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { ModelClient } from "../functions/src/model-client/model-client.ts";
import { decodeImages } from "../local/src/model-server/image-input.ts";
import { savedModelLoader } from "../local/src/model-server/saved-model-servable.ts";
import { writeConvDetector } from "../test/model-server/conv-detector.ts";

const { values: args } = parseArgs({
  options: { requests: { type: "string", default: "40" }, "trainer-export": { type: "string" } },
});
const requests = Number(args.requests);
const root = join(import.meta.dirname, "..");
const raccoon = join(root, "..", "shared", "datasets", "raccoon", "images", "raccoon-1.jpg");

interface Figures {
  p50: number;
  p99: number;
  perSecond: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(concurrency: number, total: number, call: () => Promise<unknown>): Promise<Figures> {
  for (let i = 0; i < Math.min(3, total); i++) await call(); // warm-up
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: latencies.length / elapsed };
}

async function serve(base: string, batching: boolean) {
  const argv = ["--import", "tsx", join(root, "local/bin/boxloop.mjs"), "serve", "--model-name", "detector"];
  argv.push("--model-base-path", base, "--port", "0", "--rest-api-port", "0", "--host", "127.0.0.1", "--json");
  if (batching) argv.push("--enable-batching", "--max-batch-size", "8", "--batch-timeout-micros", "2000");
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "inherit"] });
  const ports = await new Promise<{ grpcPort: number; restApiPort: number }>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", (line) => resolve(JSON.parse(line)));
    child.once("exit", (code) => reject(new Error(`boxloop serve exited with ${code}`)));
  });
  // Peak resident memory of the server process (Linux).
  const peakMiB = async () => {
    const status = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
    return kb / 1024;
  };
  return { ...ports, peakMiB, stop: () => child.kill("SIGTERM") };
}

const fmt = (f: Figures) =>
  `p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(6)} ms  ${f.perSecond.toFixed(1).padStart(6)} req/s`;

const base = args["trainer-export"] ?? (await mkdtemp(join(tmpdir(), "bench-ms-")));
if (!args["trainer-export"]) await writeConvDetector(join(base, "1"), { batch: -1, inputSize: 128, width: 8, seed: 5 });
const jpeg = new Uint8Array(
  await sharp(await readFile(raccoon))
    .resize(640, 480, { fit: "fill" })
    .jpeg({ quality: 90 })
    .toBuffer(),
);
console.log(`model: ${args["trainer-export"] ?? "conv detector from proto/'s graph builder (128² input, 8 channels)"}`);
console.log(`image: 640×480 JPEG, ${jpeg.length} bytes; ${requests} requests per run (×2 at concurrency 8)\n`);

// Baseline: the same work in this process: decode the JPEG, run the model.
const servable = await savedModelLoader()(join(base, "1"));
const inProcess = async () => {
  const image = await decodeImages({ dtype: "DT_STRING", shape: [1], values: [jpeg] });
  await servable.run("serving_default", { input_tensor: image });
};
const results: Record<string, Figures> = {};
results["in-process c1"] = await measure(1, requests, inProcess);
results["in-process c8"] = await measure(8, requests * 2, inProcess);
servable.dispose();

for (const batching of [false, true]) {
  const server = await serve(base, batching);
  const tag = batching ? " batching" : "";
  for (const transport of ["rest", "grpc"] as const) {
    const client = new ModelClient({
      transport,
      address: transport === "rest" ? `http://127.0.0.1:${server.restApiPort}` : `127.0.0.1:${server.grpcPort}`,
      imageEncoding: "encoded",
      timeoutMs: 60_000,
    });
    const call = () => client.predict("detector", { kind: "encoded", bytes: jpeg });
    if (!batching) results[`${transport} c1`] = await measure(1, requests, call);
    results[`${transport} c8${tag}`] = await measure(8, requests * 2, call);
    client.close();
  }
  console.log(`boxloop serve${tag}: peak RSS ${(await server.peakMiB()).toFixed(0)} MiB`);
  server.stop();
}

for (const [name, f] of Object.entries(results)) console.log(`${name.padEnd(22)} ${fmt(f)}`);
console.log("");
const ratio = (a: string, b: string, what: keyof Figures) => (results[a]![what] / results[b]![what]).toFixed(2);
for (const t of ["rest", "grpc"]) {
  console.log(`${t} c1 overhead: p50 ${ratio(`${t} c1`, "in-process c1", "p50")}× in-process (goal ≤ 1.2×)`);
  console.log(
    `${t} c8 throughput: batching ${ratio(`${t} c8 batching`, `${t} c8`, "perSecond")}× no batching; ${ratio(`${t} c8 batching`, "in-process c8", "perSecond")}× in-process`,
  );
}
