// Model server overhead: predict on a 640×480 JPEG over REST ({"b64"}) and gRPC (DT_STRING), at
// concurrency 1 and 8, against decoding the JPEG and running the same TensorFlow.js model in this
// process. The server runs in this process through startModelServer, as `boxloop start` runs it,
// once without and once with batching (num_batch_threads: a model thread per core). Prints p50/p99
// latency, throughput, the ratios and memory, for two models: the trainer's real detector (hundreds of
// ms per image on one core) and a small conv net from proto/'s graph builder (a few ms).
// Usage: npm run bench -- model-server [--requests 40] [--models detector,conv] [--trainer-export DIR]
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { importFromPath } from "../functions/src/formats/index.ts";
import { ModelClient } from "../functions/src/model-client/model-client.ts";
import { defaultBatching } from "../local/src/model-server/batcher.ts";
import { decodeImages } from "../local/src/model-server/image-input.ts";
import { startModelServer } from "../local/src/model-server/index.ts";
import { savedModelLoader } from "../local/src/model-server/saved-model-servable.ts";
import { latestOne } from "../local/src/model-server/version-policy.ts";
import { writeConvDetector } from "../test/model-server/conv-detector.ts";
import { defaultConfig } from "../training-image/src/config.ts";
import { imagesFromAnnotations } from "../training-image/src/dataset.ts";
import { runTraining } from "../training-image/src/run.ts";

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "40" },
    "trainer-export": { type: "string" },
    models: { type: "string", default: "detector,conv" },
  },
});
const requests = Number(args.requests);
const raccoon = join(import.meta.dirname, "..", "..", "shared", "datasets", "raccoon", "images", "raccoon-1.jpg");

interface Figures {
  p50: number;
  p99: number;
  perSecond: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `total` calls at `concurrency`; returns each call's latency and the elapsed time. */
async function run(concurrency: number, total: number, call: () => Promise<unknown>) {
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
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/**
 * Measures several variants in interleaved rounds (A B C A B C …), so that a change in the load of
 * this shared machine falls on all of them alike.
 */
async function measure(
  concurrency: number,
  total: number,
  variants: Record<string, () => Promise<unknown>>,
): Promise<Record<string, Figures>> {
  const rounds = 4;
  const acc = Object.fromEntries(Object.keys(variants).map((k) => [k, { latencies: [] as number[], seconds: 0 }]));
  for (const call of Object.values(variants)) for (let i = 0; i < 3; i++) await call(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, call] of Object.entries(variants)) {
      const { latencies, seconds } = await run(concurrency, Math.ceil(total / rounds), call);
      acc[name]!.latencies.push(...latencies);
      acc[name]!.seconds += seconds;
    }
  }
  const out: Record<string, Figures> = {};
  for (const [name, { latencies, seconds }] of Object.entries(acc)) {
    latencies.sort((a, b) => a - b);
    out[name] = {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      perSecond: latencies.length / seconds,
    };
  }
  return out;
}

async function serve(base: string, batching: boolean) {
  const server = await startModelServer({
    models: [{ name: "detector", basePath: base, policy: latestOne, labels: {} }],
    grpcPort: 0,
    restApiPort: 0,
    host: "127.0.0.1",
    fileSystemPollWaitSeconds: 0,
    // num_batch_threads defaults to one model thread per core.
    batching: batching ? { ...defaultBatching, maxBatchSize: 8, batchTimeoutMicros: 2000 } : undefined,
    log: () => {},
  });
  return { grpcPort: server.grpcPort, restApiPort: server.restPort, stop: () => server.close() };
}

const fmt = (f: Figures) =>
  `p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(6)} ms  ${f.perSecond.toFixed(1).padStart(6)} req/s`;

const jpeg = new Uint8Array(
  await sharp(await readFile(raccoon))
    .resize(640, 480, { fit: "fill" })
    .jpeg({ quality: 90 })
    .toBuffer(),
);

console.log(`image: 640×480 JPEG, ${jpeg.length} bytes; ${requests} requests per run (×2 at concurrency 8)`);

/** A real detector: the trainer's export after a few steps on 8 raccoon images (the graph that serves). */
async function trainerExport(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bench-ms-detector-"));
  const images = join(raccoon, "..");
  const csv = join(images, "..", "data", "train_labels.csv");
  const annotated = (await importFromPath(csv, { imagesDir: images })).dataset.images.slice(0, 8);
  const train = await imagesFromAnnotations(annotated, images, ["raccoon"]);
  const config = { ...defaultConfig(1), numSteps: 2 };
  await runTraining({
    train,
    labels: ["raccoon"],
    config,
    modelDir: join(dir, "ckpt"),
    exportDir: dir,
    modelName: "detector",
  });
  return join(dir, "detector");
}

async function benchModel(base: string, description: string) {
  console.log(`\nmodel: ${description}`);
  // Baseline: the same work in this process: decode the JPEG, run the model.
  const servable = await savedModelLoader()(join(base, "1"));
  const inProcess = async () => {
    const image = await decodeImages({ dtype: "DT_STRING", shape: [1], values: [jpeg] });
    await servable.run("serving_default", { input_tensor: image });
  };
  const plain = await serve(base, false);
  const batched = await serve(base, true);
  const client = (transport: "rest" | "grpc", server: { grpcPort: number; restApiPort: number }) =>
    new ModelClient({
      transport,
      address: transport === "rest" ? `http://127.0.0.1:${server.restApiPort}` : `127.0.0.1:${server.grpcPort}`,
      imageEncoding: "encoded",
      timeoutMs: 60_000,
    });
  const clients = {
    rest: client("rest", plain),
    grpc: client("grpc", plain),
    "rest batching": client("rest", batched),
    "grpc batching": client("grpc", batched),
  };
  const call = (c: ModelClient) => () => c.predict("detector", { kind: "encoded", bytes: jpeg });

  const results: Record<string, Figures> = {};
  const c1 = await measure(1, requests, {
    "in-process": inProcess,
    rest: call(clients.rest),
    grpc: call(clients.grpc),
  });
  for (const [k, v] of Object.entries(c1)) results[`${k} c1`] = v;
  const c8 = await measure(8, requests * 2, {
    "in-process": inProcess,
    rest: call(clients.rest),
    grpc: call(clients.grpc),
    "rest batching": call(clients["rest batching"]),
    "grpc batching": call(clients["grpc batching"]),
  });
  for (const [k, v] of Object.entries(c8))
    results[`${k.replace(" batching", "")} c8${k.endsWith("batching") ? " batching" : ""}`] = v;
  for (const c of Object.values(clients)) c.close();
  await plain.stop();
  await batched.stop();
  servable.dispose();

  for (const [name, f] of Object.entries(results)) console.log(`${name.padEnd(22)} ${fmt(f)}`);
  console.log("");
  const ratio = (a: string, b: string, what: keyof Figures) => (results[a]![what] / results[b]![what]).toFixed(2);
  for (const t of ["rest", "grpc"]) {
    console.log(`${t} c1 overhead: p50 ${ratio(`${t} c1`, "in-process c1", "p50")}× in-process (goal ≤ 1.2×)`);
    console.log(
      `${t} c8 throughput: batching ${ratio(`${t} c8 batching`, `${t} c8`, "perSecond")}× no batching; ${ratio(`${t} c8 batching`, "in-process c8", "perSecond")}× in-process`,
    );
  }
}

if (args.models.includes("detector")) {
  const base = args["trainer-export"] ?? (await trainerExport());
  await benchModel(base, `the trainer's export (CenterNet backbone + trained head, 384 px): ${base}`);
}
if (args.models.includes("conv")) {
  const base = await mkdtemp(join(tmpdir(), "bench-ms-"));
  await writeConvDetector(join(base, "1"), { batch: -1, inputSize: 320, width: 16, layers: 5, seed: 5 });
  await benchModel(base, "conv net from proto/'s graph builder (320² input, 16 channels, free batch dimension)");
}
console.log(
  `\npeak RSS of this process (in-process model, then two servers with one version each): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
);
