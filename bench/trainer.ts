// The trainer on raccoon: train on the first 40 and on all 160 training images (data/train_labels.csv),
// evaluate on the 40 test images, against the untrained COCO detector (the floor: its animal channels
// as raccoon, class-agnostic NMS) measured in the same run. Prints AP50/AP, wall time and images/s on
// each backend (the CPU backend only for a few steps: it is far slower).
//   npm run bench -- trainer [--seeds 1,2] [--sizes 40,160] [--cpu-steps 2]
//     [--steps N] [--views N] [--freeze REGEX] [--source-channels M] [--lr R] [--no-flip]
// The floor is printed without and with flip averaging (the trained rows use it unless --no-flip).
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { importFromPath } from "@boxloop/functions/formats/index";
import { defaultConfig, sizedFor, type TrainerConfig, withSteps } from "@boxloop/training-image/config";
import { imagesFromAnnotations } from "@boxloop/training-image/dataset";
import { evaluateModel } from "@boxloop/training-image/evaluation";
import { FeaturePool, featureWorkers } from "@boxloop/training-image/feature-pool";
import { disposeHead, headFromPretrained } from "@boxloop/training-image/head";
import { headPredictor } from "@boxloop/training-image/predict";
import { cocoAnimals } from "@boxloop/training-image/pretrained";
import { runTraining } from "@boxloop/training-image/run";
import { pretrainedFor } from "@boxloop/training-image/trainer";

const raccoon = join(import.meta.dirname, "..", "..", "shared", "datasets", "raccoon");
const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1" },
    sizes: { type: "string", default: "40,160" },
    "cpu-steps": { type: "string", default: "2" },
    steps: { type: "string" },
    views: { type: "string" },
    freeze: { type: "string" },
    "source-channels": { type: "string" },
    lr: { type: "string" },
    flip: { type: "boolean", default: true },
  },
  allowNegative: true,
});
const seeds = values.seeds.split(",").map(Number);
const sizes = values.sizes.split(",").map(Number);

/** Raccoon's CSV annotations, through boxloop's own CSV importer. */
const readCsv = async (file: string) =>
  (await importFromPath(join(raccoon, "data", file), { imagesDir: join(raccoon, "images") })).dataset.images;

const labels = ["raccoon"];
const images = join(raccoon, "images");
const trainAll = await imagesFromAnnotations(await readCsv("train_labels.csv"), images, labels);
const test = await imagesFromAnnotations(await readCsv("test_labels.csv"), images, labels);
const config = defaultConfig(1);
if (values["source-channels"]) config.sourceChannels = Number(values["source-channels"]);
if (values.lr && config.learningRate.kind === "cosine")
  config.learningRate = { ...config.learningRate, base: Number(values.lr), warmupRate: Number(values.lr) };
if (values.freeze !== undefined) config.freezeVariables = values.freeze ? values.freeze.split(",") : [];
config.flipAverage = values.flip;
/** The trainer's defaults for n images (steps and views), then what the flags set. */
function configFor(n: number): TrainerConfig {
  let c = sizedFor(config, n);
  if (values.steps) c = withSteps(c, Number(values.steps));
  if (values.views) c = { ...c, maxViewsPerImage: Number(values.views) };
  return c;
}
const out: Array<Record<string, unknown>> = [];

// The floor: the untrained COCO detector, all 10 animal channels as raccoon (max), same decode + NMS;
// without flip averaging (the floor) and with it (the fair one for flip-averaged rows).
{
  const pre = await pretrainedFor(config.imageSize);
  const head = headFromPretrained(pre.heads, [Object.values(cocoAnimals)]);
  const pool = await FeaturePool.start(pre, await featureWorkers(test.length));
  for (const flip of [false, true]) {
    const predictor = headPredictor(pre, head, { resize: config.resize, flip, pool });
    const e = await evaluateModel(predictor, test, labels, { concurrency: pool.size });
    const row = {
      run: `untrained COCO (animals, NMS${flip ? ", flip-averaged" : ""})`,
      AP50: e.coco.AP50,
      AP: e.coco.AP,
    };
    out.push(row);
    console.log(JSON.stringify(row));
  }
  await pool.close();
  disposeHead(head);
}
const floor = out[config.flipAverage ? 1 : 0] as { AP50: number; AP: number };

for (const n of sizes) {
  for (const seed of seeds) {
    const dir = await mkdtemp(join(tmpdir(), "boxloop-bench-trainer-"));
    const cfg = configFor(n);
    const t0 = performance.now();
    const r = await runTraining({
      train: trainAll.slice(0, n),
      eval: test,
      labels,
      config: cfg,
      modelDir: join(dir, "model"),
      exportDir: join(dir, "export"),
      modelName: "raccoon",
      seed,
    });
    const wall = (performance.now() - t0) / 1000;
    const row = {
      run: `trained on ${n}`,
      seed,
      AP50: r.candidate!.coco.AP50,
      AP: r.candidate!.coco.AP,
      AP75: r.candidate!.coco.AP75,
      vocAP50: r.candidate!.vocAP50,
      ratioAP50: r.candidate!.coco.AP50 / floor.AP50,
      ratioAP: r.candidate!.coco.AP / floor.AP,
      steps: r.step,
      views: cfg.maxViewsPerImage,
      flip: cfg.flipAverage,
      backend: r.backend,
      featureSeconds: Number(r.featureSeconds.toFixed(1)),
      trainSeconds: Number(r.trainSeconds.toFixed(1)),
      evalAndExportSeconds: Number((r.totalSeconds - r.featureSeconds - r.trainSeconds).toFixed(1)),
      wallSeconds: Number(wall.toFixed(1)),
      retrainSeconds: Number((r.featureSeconds + r.trainSeconds).toFixed(1)),
      trainImagesPerSecond: Number(r.imagesPerSecond.toFixed(2)),
    };
    out.push(row);
    console.log(JSON.stringify(row));
    await rm(dir, { recursive: true, force: true });
  }
}

// The other backend, a few steps only, in a child process (the backend is chosen once per process).
const cpuSteps = Number(values["cpu-steps"]);
if (cpuSteps > 0) {
  const script = `
    import { defaultConfig } from "@boxloop/training-image/config";
    import { imagesFromAnnotations } from "@boxloop/training-image/dataset";
    import { train } from "@boxloop/training-image/trainer";
    import { mkdtempSync } from "node:fs"; import { tmpdir } from "node:os"; import { join } from "node:path";
    const ann = JSON.parse(process.env.ANN);
    const images = await imagesFromAnnotations(ann, process.env.IMAGES, ["raccoon"]);
    const config = { ...defaultConfig(1), numSteps: ${cpuSteps}, maxViewsPerImage: 1 };
    const r = await train({ images, labels: ["raccoon"], config, modelDir: mkdtempSync(join(tmpdir(), "bl-cpu-")) });
    console.log(JSON.stringify({ backend: r.backend, featureSeconds: r.featureSeconds, trainImagesPerSecond: r.imagesPerSecond }));`;
  const ann = (await readCsv("train_labels.csv")).slice(0, 8);
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...process.env, BOXLOOP_BACKEND: "cpu", ANN: JSON.stringify(ann), IMAGES: images },
    encoding: "utf8",
    cwd: join(import.meta.dirname, ".."),
  });
  const line = child.stdout.trim().split("\n").at(-1) ?? "";
  const row = {
    run: `cpu backend, 8 images, ${cpuSteps} steps`,
    ...(line.startsWith("{") ? JSON.parse(line) : { error: child.stderr.slice(-500) }),
  };
  out.push(row);
  console.log(JSON.stringify(row));
}

console.log("\nrun | seed | AP50 | AP | steps | views | features s | train s | retrain s | img/s | backend");
for (const r of out)
  console.log(
    [
      r.run,
      r.seed ?? "",
      r.AP50 ?? "",
      r.AP ?? "",
      r.steps ?? "",
      r.views ?? "",
      r.featureSeconds ?? "",
      r.trainSeconds ?? "",
      r.retrainSeconds ?? "",
      r.trainImagesPerSecond ?? "",
      r.backend ?? "",
    ]
      .map((v) => (typeof v === "number" ? Number(v.toFixed(3)) : v))
      .join(" | "),
  );
console.log(`load average over the last minute: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores`);
