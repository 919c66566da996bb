// The trainer against a real S3 API (moto): job manifest, TFRecords, checkpoints (resumed), TensorBoard
// events, the exported version and metrics.json all on s3://.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { encodeDetectionExample } from "@boxloop/proto/example";
import { frameRecord } from "@boxloop/proto/tfrecord";
import { startMoto } from "../support/moto.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");

test("a training job with every URI on S3", async () => {
  const moto = await startMoto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: moto.endpoint,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
  });
  try {
    const { writeBytes } = await import("@boxloop/training-image/storage");
    const { main } = await import("@boxloop/training-image/main");
    const s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: "us-east-1" });
    await s3.send(new CreateBucketCommand({ Bucket: "data" }));
    const example = encodeDetectionExample({
      filename: "raccoon-17.jpg",
      sourceId: "raccoon-17.jpg",
      encoded: new Uint8Array(await readFile(join(raccoon, "images", "raccoon-17.jpg"))),
      format: "jpeg",
      width: 259,
      height: 194,
      objects: [{ xmin: 95 / 259, ymin: 60 / 194, xmax: 167 / 259, ymax: 118 / 194, label: 1, text: "raccoon" }],
    });
    await writeBytes("s3://data/runs/r1/train.record", frameRecord(example));
    await writeBytes("s3://data/runs/r1/eval.record", frameRecord(example));
    const job = {
      version: 1,
      campaignId: "c",
      runId: "r1",
      modelName: "raccoon",
      labels: ["raccoon"],
      pipelineConfig:
        "model { ssd { image_resizer { keep_aspect_ratio_resizer { max_dimension: 128 } } } } train_config { batch_size: 1 num_steps: 1 }",
      train: "s3://data/runs/r1/train.record",
      eval: "s3://data/runs/r1/eval.record",
      modelDir: "s3://data/checkpoints",
      exportDir: "s3://data/models",
      serving: null,
      metrics: "s3://data/runs/r1/metrics.json",
      tensorboardDir: "s3://data/tensorboard",
      dataHash: "h",
    };
    await writeBytes("s3://data/runs/r1/manifest.json", JSON.stringify(job));
    assert.equal(await main(["--job", "s3://data/runs/r1/manifest.json", "--json"]), 0);
    // The second job resumes from step 1 and trains 2 more.
    await writeBytes("s3://data/runs/r1/manifest.json", JSON.stringify({ ...job, numSteps: 2 }));
    assert.equal(await main(["--job", "s3://data/runs/r1/manifest.json", "--json"]), 0);

    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: "data" }))).Contents ?? []).map((o) => o.Key!);
    for (const key of [
      "models/raccoon/1/saved_model.pb",
      "models/raccoon/1/boxloop.json",
      "models/raccoon/2/saved_model.pb",
      "checkpoints/ckpt-00000001.bin",
      "checkpoints/ckpt-00000003.bin",
      "runs/r1/metrics.json",
    ])
      assert.ok(keys.includes(key), `${key} in ${keys.join(", ")}`);
    assert.ok(keys.some((k) => k.startsWith("tensorboard/events.out.tfevents.")));
    const { readText } = await import("@boxloop/training-image/storage");
    const metrics = JSON.parse(await readText("s3://data/runs/r1/metrics.json"));
    assert.equal(metrics.steps, 3);
    assert.equal(metrics.exported, "s3://data/models/raccoon/2");
  } finally {
    moto.close();
  }
});
