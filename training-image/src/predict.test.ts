// In-process evaluation sees what TF Serving will return: the head predictor (features from the
// pool, head.ts, decode.ts) and the exported graph (export-graph.ts, run by TF.js) give the same
// detections, with and without flip averaging.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { defaultConfig } from "./config.ts";
import type { Detections } from "./decode.ts";
import { exportModel } from "./exporter.ts";
import { FeaturePool } from "./feature-pool.ts";
import { headFromPretrained } from "./head.ts";
import { decodeImage } from "./image.ts";
import { headPredictor, savedModelPredictor } from "./predict.ts";
import { cocoAnimals } from "./pretrained.ts";
import { pretrainedFor } from "./trainer.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");

function assertSame(got: Detections, want: Detections, what: string) {
  assert.equal(got.count, want.count, `${what}: detections`);
  for (const key of ["boxes", "scores", "classes"] as const) {
    const worst = Math.max(0, ...Array.from(got[key], (v, i) => Math.abs(v - want[key][i]!)));
    assert.ok(worst <= 1e-4, `${what}: ${key} differ by ${worst}`);
  }
}

test("the head predictor and the exported graph give the same detections, with and without flip averaging", async () => {
  const dir = await mkdtemp(join(tmpdir(), "boxloop-predict-"));
  const config = { ...defaultConfig(1), imageSize: 256 };
  const pre = await pretrainedFor(config.imageSize);
  const head = headFromPretrained(pre.heads, [Object.values(cocoAnimals)]);
  const pool = await FeaturePool.start(pre, 0);
  try {
    const images = await Promise.all(
      ["raccoon-1.jpg", "raccoon-17.jpg", "raccoon-30.jpg"].map(async (name) =>
        decodeImage(new Uint8Array(await readFile(join(raccoon, "images", name)))),
      ),
    );
    const answers: Detections[][] = [];
    for (const flip of [false, true]) {
      const exported = await exportModel({
        head,
        config: { ...config, flipAverage: flip },
        labels: ["raccoon"],
        exportDir: dir,
        modelName: "raccoon",
        step: 0,
      });
      const graph = await savedModelPredictor(exported.uri);
      const inProcess = headPredictor(pre, head, { resize: config.resize, flip, pool });
      const got: Detections[] = [];
      for (const [i, image] of images.entries()) {
        const want = await inProcess.predict(image);
        assert.ok(want.count > 0, "the COCO animal channels find the raccoon");
        assertSame(await graph.predict(image), want, `image ${i}, flip ${flip}`);
        got.push(want);
      }
      graph.dispose();
      answers.push(got);
    }
    // Flip averaging changes the answer (the mirrored half is not ignored).
    assert.ok(answers[0]!.some((d, i) => d.scores[0] !== answers[1]![i]!.scores[0]));
  } finally {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
});
