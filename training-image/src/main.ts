// The training container's entry point (Step Functions' Train task; locally a child process):
//   main.ts --job <path | s3://bucket/key/manifest.json> [--json]
// Reads the TrainingJob manifest, trains (resuming from job.modelDir), evaluates the candidate and the
// serving version on job.eval, exports the next version, and writes TrainingMetrics to job.metrics.
import { parseArgs } from "node:util";
import { parseTrainingJob, type TrainingJob, type TrainingMetrics } from "@boxloop/proto/training-job";
import { listCheckpoints } from "./checkpoint.ts";
import { defaultConfig, sizedFor, trainerConfigFromPipeline, withSteps } from "./config.ts";
import { DataError, imagesFromTFRecord, requireImages } from "./dataset.ts";
import { FeatureCache } from "./feature-cache.ts";
import { barProgress, jsonProgress } from "./progress.ts";
import { runTraining, summaryOf } from "./run.ts";
import { NotFoundError, readText, writeBytes } from "./storage.ts";

export const help = `usage: main.ts --job <path|s3://bucket/key/manifest.json> [--json]

The boxloop trainer. Reads a TrainingJob manifest (proto/src/training-job.ts): train/eval TFRecords,
labels, optional pipeline.config text, model dir (checkpoints, resumed), export dir, serving version.
Writes the next SavedModel version under <exportDir>/<modelName>/ and TrainingMetrics to job.metrics.

options:
  --job URI     the manifest (local path or s3://); env BOXLOOP_JOB also works
  --json        progress and the result as JSON lines on stdout
  --help        this text

env: BOXLOOP_BACKEND=wasm|cpu|tensorflow forces a backend; BOXLOOP_FEATURE_CACHE=DIR keeps backbone
features between runs (boxloop start sets it); BOXLOOP_FEATURE_WORKERS=N sets the feature threads
(default one per core); AWS_* for S3 (AWS_ENDPOINT_URL_S3 for a local S3 server).`;

export async function runJob(job: TrainingJob, json: boolean): Promise<TrainingMetrics> {
  const log = (line: string) =>
    json
      ? process.stdout.write(`${JSON.stringify({ type: "log", message: line })}\n`)
      : process.stderr.write(`${line}\n`);
  const parsed = job.pipelineConfig
    ? trainerConfigFromPipeline(job.pipelineConfig, job.labels.length)
    : { config: defaultConfig(job.labels.length), warnings: [] };
  for (const w of parsed.warnings) log(`pipeline.config: ${w.message}`);
  const train = await imagesFromTFRecord(job.train, job.labels);
  requireImages(train, "the training set");
  let config = parsed.config;
  if (job.numSteps !== undefined) config = withSteps(config, job.numSteps);
  else if (!job.pipelineConfig) config = sizedFor(config, train.length);
  // A job is one retrain of the loop: its steps come on top of the checkpoint it resumes from. (In
  // TF OD API's sense num_steps counts from zero, so every retrain after the first would train nothing.)
  const resumedAt = (await listCheckpoints(job.modelDir)).at(-1)?.step ?? 0;
  if (resumedAt > 0) {
    log(`resuming at step ${resumedAt}: this run trains ${config.numSteps} more`);
    config = withSteps(config, resumedAt + config.numSteps);
  }
  const evalImages = await imagesFromTFRecord(job.eval, job.labels);
  const result = await runTraining({
    train,
    eval: evalImages,
    labels: job.labels,
    config,
    modelDir: job.modelDir,
    exportDir: job.exportDir,
    modelName: job.modelName,
    tensorboardDir: job.tensorboardDir,
    dataHash: job.dataHash,
    serving: job.serving,
    ...(process.env.BOXLOOP_FEATURE_CACHE ? { featureCache: new FeatureCache(process.env.BOXLOOP_FEATURE_CACHE) } : {}),
    progress: json ? jsonProgress() : barProgress(),
    log,
  });
  const candidate = result.candidate ? summaryOf(result.candidate) : { AP: -1, AP50: -1 };
  const pr = result.candidate?.prCurve;
  const metrics: TrainingMetrics = {
    candidate: candidate as TrainingMetrics["candidate"],
    serving: result.serving ? (summaryOf(result.serving) as NonNullable<TrainingMetrics["serving"]>) : null,
    ...(pr ? { prCurve: pr.recall.map((recall, i) => ({ recall, precision: pr.precision[i]! })) } : {}),
    trainImages: result.trainImages,
    evalImages: result.evalImages,
    steps: result.step,
    trainSeconds: result.totalSeconds,
    exported: result.exported.uri,
  };
  await writeBytes(job.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
  return metrics;
}

export async function main(argv: string[]): Promise<number> {
  let values: { job?: string | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { job: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`trainer: ${(error as Error).message}\n\n${help}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const uri = values.job ?? process.env.BOXLOOP_JOB;
  if (!uri) {
    process.stderr.write(`trainer: --job is required\n\n${help}\n`);
    return 2;
  }
  try {
    const job = parseTrainingJob(JSON.parse(await readText(uri)));
    const metrics = await runJob(job, values.json ?? false);
    const line = { type: "result", ...metrics, prCurve: undefined };
    if (values.json) process.stdout.write(`${JSON.stringify(line)}\n`);
    else
      process.stderr.write(
        `done: AP50 ${metrics.candidate.AP50.toFixed(3)} AP ${metrics.candidate.AP.toFixed(3)} -> ${metrics.exported}\n`,
      );
    return 0;
  } catch (error) {
    const known =
      error instanceof DataError ||
      error instanceof NotFoundError ||
      error instanceof SyntaxError ||
      /training job:/.test(String(error));
    process.stderr.write(`trainer: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    return known ? 2 : 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
