// A SavedModel exported by the trainer (the real detector graph, with NMS, so the server takes
// TensorFlow.js's executeAsync path) served by the model server: REST and gRPC answers equal real
// TensorFlow's (tf.saved_model.load) within 1e-4, and the ModelClient turns them into labelled boxes.
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { importFromPath } from "@boxloop/functions/formats/index";
import { defaultConfig } from "@boxloop/training-image/config";
import { imagesFromAnnotations } from "@boxloop/training-image/dataset";
import { exportModel } from "@boxloop/training-image/exporter";
import { train } from "@boxloop/training-image/trainer";
import { decodeToRgb } from "../../functions/src/model-client/decode-image.ts";
import { labelMapFromBoxloopJson } from "../../functions/src/model-client/detections.ts";
import { ModelClient } from "../../functions/src/model-client/model-client.ts";
import { referee } from "../support/referee.ts";
import {
  flat,
  maxDiff,
  nestedPixels,
  postJson,
  raccoonDir,
  raccoonPhoto,
  startTestServer,
  tempDir,
} from "./harness.ts";

/** The first `limit` of raccoon's training images, through boxloop's own CSV importer. */
async function trainCsv(limit: number) {
  const csv = join(raccoonDir, "data", "train_labels.csv");
  return (await importFromPath(csv, { imagesDir: join(raccoonDir, "images") })).dataset.images.slice(0, limit);
}

const python = `
import json, sys, numpy as np, tensorflow as tf
model_dir, pixels, h, w = sys.argv[1:5]
img = np.fromfile(pixels, dtype=np.uint8).reshape([1, int(h), int(w), 3])
f = tf.saved_model.load(model_dir).signatures["serving_default"]
print(json.dumps({k: v.numpy().ravel().tolist() for k, v in f(input_tensor=tf.constant(img)).items()}))
`;

test("a trainer export serves the same detections as real TensorFlow, over REST and gRPC", async () => {
  const dir = await tempDir();
  try {
    const labels = ["raccoon"];
    const images = await imagesFromAnnotations(await trainCsv(6), join(raccoonDir, "images"), labels);
    const config = { ...defaultConfig(1), numSteps: 2, maxViewsPerImage: 1 };
    const trained = await train({ images, labels, config, modelDir: join(dir, "model") });
    const exported = await exportModel({
      head: trained.head,
      config,
      labels,
      exportDir: join(dir, "export"),
      modelName: "raccoon",
      step: trained.step,
    });
    const jpeg = await raccoonPhoto("raccoon-12.jpg", 320);
    // The pixels as detect() decodes the JPEG, so that TensorFlow and detect() see the same image.
    const photo = { ...jpeg, pixels: (await decodeToRgb(jpeg.jpeg)).data };
    await writeFile(join(dir, "pixels.bin"), photo.pixels);
    const tf = JSON.parse(
      referee().run(python, [exported.uri, join(dir, "pixels.bin"), String(photo.height), String(photo.width)]),
    ) as Record<string, number[]>;

    const server = await startTestServer(join(dir, "export", "raccoon"), {}, "raccoon");
    try {
      const rest = await postJson(`${server.rest}/v1/models/raccoon:predict`, { instances: [nestedPixels(photo)] });
      assert.equal(rest.status, 200, JSON.stringify(rest.json));
      const restOut = (rest.json.predictions as Record<string, unknown>[])[0]!;
      const grpc = new ModelClient({ transport: "grpc", address: server.grpcAddress, timeoutMs: 60_000 });
      const reply = await grpc.predict("raccoon", {
        kind: "pixels",
        data: photo.pixels,
        width: photo.width,
        height: photo.height,
      });
      for (const name of ["detection_boxes", "detection_scores", "detection_classes", "num_detections"]) {
        assert.ok(maxDiff(flat(restOut[name]), tf[name]!) <= 1e-4, `${name} over REST`);
        assert.ok(maxDiff(reply.outputs[name]!.values, tf[name]!) <= 1e-4, `${name} over gRPC`);
      }

      const boxloopJson = JSON.parse(await readFile(join(exported.uri, "boxloop.json"), "utf8"));
      const detected = await grpc.detect("raccoon", photo.jpeg, {
        width: photo.width,
        height: photo.height,
        labels: labelMapFromBoxloopJson(boxloopJson)!,
        threshold: 0,
      });
      assert.equal(detected?.version, exported.version);
      assert.equal(detected!.boxes.length, tf.num_detections![0]);
      assert.ok(detected!.boxes.every((b) => b.label === "raccoon"));
      grpc.close();
    } finally {
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
