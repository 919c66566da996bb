// The job a training run hands to the trainer container (Step Functions' Train task, or the local
// runner's child process), and the metrics the trainer hands back. The workflow writes the job as
// `campaigns/<cid>/runs/<rid>/manifest.json`; the trainer (`training-image/src/main.ts --job URI`)
// reads it and writes `metrics` when done. URIs are local paths or `s3://bucket/key`.

export interface TrainingJob {
  version: 1;
  campaignId: string;
  runId: string;
  /** Model name under the models store: versions go to `<exportDir>/<modelName>/<n>/`. */
  modelName: string;
  /** The label map in order: class id = index + 1. */
  labels: string[];
  /** TF OD API text-format pipeline.config; absent for the trainer's default. */
  pipelineConfig?: string;
  /** TFRecord of tf.Example (TF OD API keys) to train on. */
  train: string;
  /** TFRecord of the held-out images the candidate (and the serving model) are evaluated on. */
  eval: string;
  /** Checkpoints; the trainer resumes from the newest one here. */
  modelDir: string;
  /** The trainer exports the candidate SavedModel as the next version under `<exportDir>/<modelName>/`. */
  exportDir: string;
  /** The serving version's directory, to evaluate on the same held-out set; null when none serves. */
  serving: string | null;
  /** Where the trainer writes `TrainingMetrics` as JSON. */
  metrics: string;
  /** TensorBoard event files go here. */
  tensorboardDir: string;
  /** Overrides train_config.num_steps. */
  numSteps?: number;
  /** A hash of the snapshot's content, recorded in the exported boxloop.json. */
  dataHash: string;
}

/** COCO summary metrics (pycocotools' names); -1 where undefined. */
export type MetricSummary = Record<string, number>;

export interface TrainingMetrics {
  candidate: MetricSummary & { AP50: number; AP: number };
  /** The same metrics for the serving version on the same held-out images; null when none serves. */
  serving: (MetricSummary & { AP50: number; AP: number }) | null;
  /** Precision-recall at IoU 0.5 for the candidate, for the dashboard. */
  prCurve?: { recall: number; precision: number }[];
  trainImages: number;
  evalImages: number;
  steps: number;
  trainSeconds: number;
  /** The exported version's directory (a URI under exportDir). */
  exported: string;
}

/** Validates a parsed manifest; throws naming the first missing or mistyped field. */
export function parseTrainingJob(value: unknown): TrainingJob {
  const job = value as Record<string, unknown>;
  if (typeof job !== "object" || job === null) throw new Error("training job: expected a JSON object");
  if (job.version !== 1) throw new Error(`training job: version must be 1, got ${JSON.stringify(job.version)}`);
  for (const key of [
    "campaignId",
    "runId",
    "modelName",
    "train",
    "eval",
    "modelDir",
    "exportDir",
    "metrics",
    "tensorboardDir",
    "dataHash",
  ]) {
    if (typeof job[key] !== "string" || job[key] === "")
      throw new Error(`training job: '${key}' must be a non-empty string`);
  }
  if (
    !Array.isArray(job.labels) ||
    job.labels.length === 0 ||
    !job.labels.every((l) => typeof l === "string" && l !== "")
  ) {
    throw new Error("training job: 'labels' must be a non-empty list of names");
  }
  if (job.serving !== null && typeof job.serving !== "string")
    throw new Error("training job: 'serving' must be a string or null");
  if (job.pipelineConfig !== undefined && typeof job.pipelineConfig !== "string") {
    throw new Error("training job: 'pipelineConfig' must be text");
  }
  if (job.numSteps !== undefined && !(Number.isInteger(job.numSteps) && (job.numSteps as number) > 0)) {
    throw new Error("training job: 'numSteps' must be a positive integer");
  }
  return job as unknown as TrainingJob;
}
