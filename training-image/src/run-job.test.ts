// main.ts's job end to end on a tiny TFRecord: pipeline.config honoured, checkpoint + TensorBoard events
// in the model dir, the next version exported, metrics.json written, the serving version evaluated.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readEvents } from "@boxloop/proto/event-writer";
import { encodeDetectionExample } from "@boxloop/proto/example";
import { writeTFRecordFile } from "@boxloop/proto/tfrecord";
import type { TrainingJob, TrainingMetrics } from "@boxloop/proto/training-job";
import { runJob } from "./main.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");

const pipeline = `
model { ssd { num_classes: 1 image_resizer { keep_aspect_ratio_resizer { min_dimension: 128 max_dimension: 128 } } } }
train_config {
  batch_size: 2
  num_steps: 2
  optimizer { momentum_optimizer {
    learning_rate { manual_step_learning_rate { initial_learning_rate: 0.001 schedule { step: 1 learning_rate: 0.0005 } } }
    momentum_optimizer_value: 0.9 } }
  data_augmentation_options { random_horizontal_flip { } }
  data_augmentation_options { random_adjust_brightness { max_delta: 0.1 } }
}
eval_config { metrics_set: "coco_detection_metrics" }
`;

async function record(path: string, rows: Array<[string, number, number, number[]]>) {
  const examples = [];
  for (const [name, width, height, [x0, y0, x1, y1]] of rows) {
    examples.push(
      encodeDetectionExample({
        filename: name,
        sourceId: name,
        encoded: new Uint8Array(await readFile(join(raccoon, "images", name))),
        format: "jpeg",
        width,
        height,
        objects: [
          { xmin: x0! / width, ymin: y0! / height, xmax: x1! / width, ymax: y1! / height, label: 1, text: "raccoon" },
        ],
      }),
    );
  }
  await writeTFRecordFile(path, examples);
}

test("a training job: checkpoint, events, export, metrics, serving evaluation", async () => {
  const dir = await mkdtemp(join(tmpdir(), "boxloop-job-"));
  try {
    await record(join(dir, "train.record"), [
      ["raccoon-17.jpg", 259, 194, [95, 60, 167, 118]],
      ["raccoon-11.jpg", 660, 432, [3, 1, 461, 431]],
    ]);
    await record(join(dir, "eval.record"), [["raccoon-17.jpg", 259, 194, [95, 60, 167, 118]]]);
    const job: TrainingJob = {
      version: 1,
      campaignId: "c1",
      runId: "r1",
      modelName: "raccoon",
      labels: ["raccoon"],
      pipelineConfig: pipeline,
      train: join(dir, "train.record"),
      eval: join(dir, "eval.record"),
      modelDir: join(dir, "checkpoints"),
      exportDir: join(dir, "models"),
      serving: null,
      metrics: join(dir, "metrics.json"),
      tensorboardDir: join(dir, "tensorboard"),
      dataHash: "abc",
    };
    const first = await runJob(job, true);
    assert.equal(first.steps, 2);
    assert.equal(first.trainImages, 2);
    assert.equal(first.evalImages, 1);
    assert.equal(first.serving, null);
    assert.ok(first.candidate.AP50 >= 0 && first.candidate.AP50 <= 1);
    const written = JSON.parse(await readFile(job.metrics, "utf8")) as TrainingMetrics;
    assert.equal(written.exported, join(dir, "models", "raccoon", "1"));
    assert.equal(written.prCurve?.length, 101);
    const info = JSON.parse(await readFile(join(written.exported, "boxloop.json"), "utf8"));
    assert.deepEqual(info.labels, ["raccoon"]);
    assert.equal(info.dataHash, "abc");
    assert.equal(info.config.imageSize, 128);
    assert.equal(info.config.optimizer.kind, "momentum");
    assert.equal(info.metrics.AP50, first.candidate.AP50);

    const tags = new Set<string>();
    for (const file of await readdir(job.tensorboardDir))
      for await (const e of readEvents(join(job.tensorboardDir, file)))
        if (e.what.case === "summary") for (const v of e.what.value.value) tags.add(v.tag);
    for (const tag of ["loss/total", "loss/heatmap", "loss/box", "learning_rate", "eval/AP", "eval/AP50", "samples/0"])
      assert.ok(tags.has(tag), `TensorBoard has ${tag} (has ${[...tags].join(", ")})`);

    // A second run resumes (steps continue) and evaluates the serving version on the same images.
    const second = await runJob({ ...job, numSteps: 3, serving: written.exported }, true);
    assert.equal(second.steps, 5, "a job's steps come on top of the checkpoint it resumes from");
    assert.equal(second.exported, join(dir, "models", "raccoon", "2"));
    assert.ok(second.serving);
    assert.equal(second.serving.AP50, first.candidate.AP50);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
