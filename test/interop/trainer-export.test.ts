// Real TensorFlow loads a SavedModel that the trainer exported after a few steps on 10 raccoon images;
// on 3 test images its outputs equal the TF.js inference of the same model within 1e-4, and its
// signature is the TF Object Detection API's.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { importFromPath } from "@boxloop/functions/formats/index";
import { TfjsSignatureRunner } from "@boxloop/proto/graph-to-tfjs";
import { metaGraphWithTags, readSavedModel } from "@boxloop/proto/saved-model-reader";
import { defaultConfig } from "@boxloop/training-image/config";
import { imagesFromAnnotations } from "@boxloop/training-image/dataset";
import { exportModel } from "@boxloop/training-image/exporter";
import { decodeImage } from "@boxloop/training-image/image";
import { train } from "@boxloop/training-image/trainer";
import * as tf from "@tensorflow/tfjs-core";
import { referee } from "../support/referee.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");

/** Raccoon's CSV annotations, through boxloop's own CSV importer. */
const csv = async (file: string) =>
  (await importFromPath(join(raccoon, "data", file), { imagesDir: join(raccoon, "images") })).dataset.images;

const python = `
import json, sys, numpy as np, tensorflow as tf
d = sys.argv[1]
spec = json.load(open(d + "/images.json"))
m = tf.saved_model.load(d + "/export/raccoon/1", tags=["serve"])
f = m.signatures["serving_default"]
args, kwargs = f.structured_input_signature
sig = {
  "inputs": {k: [v.dtype.name, v.shape.as_list()] for k, v in kwargs.items()},
  "outputs": {k: [v.dtype.name, v.shape.as_list()] for k, v in f.structured_outputs.items()},
}
results = []
for s in spec:
  img = np.fromfile(d + "/" + s["file"], dtype=np.uint8).reshape([1, s["height"], s["width"], 3])
  out = f(input_tensor=tf.constant(img))
  results.append({k: v.numpy().ravel().tolist() for k, v in out.items()})
print(json.dumps({"signature": sig, "results": results}))
`;

test("an exported model runs in real TensorFlow as in TF.js, with TF OD API's signature", async () => {
  const dir = await mkdtemp(join(tmpdir(), "boxloop-trainer-export-"));
  try {
    const labels = ["raccoon"];
    const images = await imagesFromAnnotations(
      (await csv("train_labels.csv")).slice(0, 10),
      join(raccoon, "images"),
      labels,
    );
    const config = { ...defaultConfig(1), numSteps: 3, maxViewsPerImage: 1 };
    const trained = await train({ images, labels, config, modelDir: join(dir, "model") });
    assert.equal(trained.step, 3);
    const exported = await exportModel({
      head: trained.head,
      config,
      labels,
      exportDir: join(dir, "export"),
      modelName: "raccoon",
      step: trained.step,
    });
    assert.equal(exported.version, 1);

    const test3 = (await csv("test_labels.csv")).slice(0, 3);
    const spec: Array<{ file: string; width: number; height: number }> = [];
    const rgbs = [];
    for (const [i, a] of test3.entries()) {
      const rgb = await decodeImage(await readFile(join(raccoon, "images", a.fileName)));
      await writeFile(join(dir, `img${i}.rgb`), rgb.data);
      spec.push({ file: `img${i}.rgb`, width: rgb.width, height: rgb.height });
      rgbs.push(rgb);
    }
    await writeFile(join(dir, "images.json"), JSON.stringify(spec));
    const ref = JSON.parse(referee().run(python, [dir])) as {
      signature: { inputs: Record<string, [string, number[]]>; outputs: Record<string, [string, number[]]> };
      results: Array<Record<string, number[]>>;
    };

    assert.deepEqual(ref.signature.inputs, { input_tensor: ["uint8", [1, null, null, 3]] });
    assert.deepEqual(ref.signature.outputs, {
      detection_boxes: ["float32", [1, 100, 4]],
      detection_scores: ["float32", [1, 100]],
      detection_classes: ["float32", [1, 100]],
      num_detections: ["float32", [1]],
    });
    const saved = await readSavedModel(exported.uri);
    const mg = metaGraphWithTags(saved);
    assert.deepEqual(mg.metaInfoDef?.tags, ["serve"]);
    assert.equal(mg.signatureDef.serving_default?.methodName, "tensorflow/serving/predict");

    const runner = await TfjsSignatureRunner.load(mg.graphDef!, mg.signatureDef.serving_default!);
    for (const [i, rgb] of rgbs.entries()) {
      const input = tf.tensor4d(rgb.data, [1, rgb.height, rgb.width, 3], "int32");
      const out = await runner.run({ input_tensor: input });
      const expected = ref.results[i]!;
      const n = expected.num_detections![0]!;
      assert.ok(n > 0, "the model detects something");
      assert.equal((await out.num_detections!.data())[0], n);
      for (const key of ["detection_boxes", "detection_scores", "detection_classes"]) {
        const got = Array.from(await out[key]!.data());
        const want = expected[key]!;
        assert.equal(got.length, want.length, key);
        const worst = Math.max(...got.map((v, j) => Math.abs(v - want[j]!)));
        assert.ok(worst <= 1e-4, `${key} of image ${i}: max difference ${worst}`);
      }
      tf.dispose([input, ...Object.values(out)]);
    }
    runner.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
