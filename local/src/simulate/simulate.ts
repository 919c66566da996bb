// `boxloop simulate`: an oracle annotator answers tasks from gold labels through the real HTTP API,
// the loop retrains as configured, and after each published version the served model (through the
// TF Serving API) is scored on held-out gold labels. The result is the product's learning curve.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Dataset,
  detectFormat,
  imagesFromDir,
  importDataset,
  sourceFromPath,
} from "@boxloop/functions/formats/index";
import { ModelClient } from "@boxloop/functions/model-client/model-client";
import type { RunRecord } from "@boxloop/functions/workflow/run-record";
import { evaluate } from "@boxloop/training-image/eval/index";
import { ApiClient } from "../api-client.ts";
import type { LocalStack } from "../stack.ts";

export interface SimulateOptions {
  annotations: string;
  images: string;
  evalAnnotations: string;
  /** Answers between retrains (the campaign's retrainEvery). */
  batch: number;
  until: number;
  /** Retrain at exactly these answer counts instead of every `batch` (started by hand). */
  at?: number[];
  /** Caps the trainer's steps per run (quick runs). */
  numSteps?: number;
  log: (line: string) => void;
}

export interface CurvePoint {
  annotated: number;
  modelVersion: string;
  AP50: number;
  AP: number;
  /** Snapshot start to CleanUp end. */
  retrainSeconds: number;
  /** The last answer of the batch to the new version answering predictions. */
  annotationToServedSeconds: number;
}

interface Task {
  image: { id: string; fileName: string; width: number; height: number };
  predictions: { modelVersion: string } | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function loadGold(path: string, images: string): Promise<Dataset> {
  const format = await detectFormat(path);
  return importDataset(format, await sourceFromPath(path), { images: await imagesFromDir(images) });
}

export async function simulate(stack: LocalStack, options: SimulateOptions): Promise<CurvePoint[]> {
  const { log } = options;
  const [gold, evalGold] = await Promise.all([
    loadGold(options.annotations, options.images),
    loadGold(options.evalAnnotations, options.images),
  ]);
  const labels = [...new Set([...gold.categories, ...evalGold.categories])];
  const byName = new Map(gold.images.map((i) => [i.fileName, i]));
  const api = new ApiClient(stack.url, stack.adminToken);
  const points =
    options.at ?? Array.from({ length: Math.floor(options.until / options.batch) }, (_, i) => (i + 1) * options.batch);
  const auto = options.at === undefined;

  const campaign = await api.call<{ id: string; modelName: string }>("POST", "/campaigns", {
    name: "simulate",
    labels,
    heldOutFraction: 0,
    retrainEvery: auto ? options.batch : 0,
    strategy: "random",
    ...(options.numSteps ? { pipelineConfig: `train_config { num_steps: ${options.numSteps} }` } : {}),
  });
  log(`campaign ${campaign.id}: uploading ${gold.images.length} images`);
  for (const image of gold.images) {
    await api.uploadImage(campaign.id, image.fileName, await readFile(join(options.images, image.fileName)));
  }

  const client = new ModelClient({
    transport: "rest",
    address: `http://127.0.0.1:${stack.modelServer.restPort}`,
    imageEncoding: "encoded",
  });
  const labelMap = new Map(labels.map((l, i) => [i + 1, l]));
  const curve: CurvePoint[] = [];
  let answered = 0;
  for (const target of points.filter((p) => p <= Math.min(options.until, gold.images.length))) {
    while (answered < target) {
      const task = await api.request<Task>("POST", `/campaigns/${campaign.id}/tasks:next`, { annotator: "oracle" });
      if (task.status === 204) break;
      if (task.status !== 200) throw new Error(`tasks:next: HTTP ${task.status}`);
      const { image } = task.body;
      const truth = byName.get(image.fileName);
      const boxes = (truth?.boxes ?? []).map((b) => ({
        label: b.label,
        x: b.xmin,
        y: b.ymin,
        width: b.xmax - b.xmin,
        height: b.ymax - b.ymin,
      }));
      await api.call("PUT", `/campaigns/${campaign.id}/images/${image.id}/annotations/oracle`, {
        answer: truth ? "accept" : "ignore",
        boxes,
        modelVersion: task.body.predictions?.modelVersion ?? null,
        durationMs: 0,
      });
      answered++;
    }
    const answeredAt = Date.now();
    if (!auto) await api.call("POST", `/campaigns/${campaign.id}/training-runs`);
    log(`${answered} answers: waiting for the run`);
    const run = await waitForRun(api, campaign.id, answeredAt);
    if (run.status !== "succeeded" || run.modelVersion === undefined) {
      log(`run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ""}${run.reason ? ` (${run.reason})` : ""}`);
      continue;
    }
    const version = Number(run.modelVersion);
    while ((await client.latestVersion(campaign.modelName)) !== version) await sleep(200);
    const servedAt = Date.now();
    const images = [];
    for (const image of evalGold.images) {
      const bytes = await readFile(join(options.images, image.fileName));
      const result = await client.detect(campaign.modelName, bytes, {
        width: image.width,
        height: image.height,
        labels: labelMap,
        threshold: 0,
        version,
      });
      images.push({
        id: image.fileName,
        groundTruth: image.boxes,
        detections: (result?.boxes ?? []).map((b) => ({
          label: b.label,
          score: b.score,
          xmin: b.x,
          ymin: b.y,
          xmax: b.x + b.width,
          ymax: b.y + b.height,
        })),
      });
    }
    const { coco } = evaluate({ categories: labels, images });
    const started = Date.parse(run.steps.Snapshot?.startedAt ?? run.createdAt);
    const ended = Date.parse(run.steps.CleanUp?.endedAt ?? run.updatedAt);
    const point = {
      annotated: answered,
      modelVersion: run.modelVersion,
      AP50: coco.AP50,
      AP: coco.AP,
      retrainSeconds: (ended - started) / 1000,
      annotationToServedSeconds: (servedAt - answeredAt) / 1000,
    };
    curve.push(point);
    log(
      `${answered} annotated → v${version}: AP50 ${coco.AP50.toFixed(3)}, AP ${coco.AP.toFixed(3)}, retrain ${point.retrainSeconds.toFixed(1)} s, served after ${point.annotationToServedSeconds.toFixed(1)} s`,
    );
  }
  return curve;
}

/** The newest run created at or after `since`, once it has ended. */
async function waitForRun(api: ApiClient, cid: string, since: number, timeoutMs = 30 * 60_000): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { runs } = await api.call<{ runs: RunRecord[] }>("GET", `/campaigns/${cid}/training-runs`);
    const run = runs.find((r) => Date.parse(r.createdAt) >= since - 1000);
    if (run && run.status !== "running" && run.status !== "queued") return run;
    await sleep(500);
  }
  throw new Error(`no training run of campaign ${cid} ended within ${timeoutMs / 1000} s`);
}
