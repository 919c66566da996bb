import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { defaultConfig } from "./config.ts";
import { type FeatureJob, FeaturePool } from "./feature-pool.ts";
import { featuresOf } from "./features.ts";
import { decodeImage } from "./image.ts";
import { pretrainedFor } from "./trainer.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon", "images");

test("worker threads compute the same features as the main thread; a bad job fails alone; a dead worker fails the pool", async () => {
  const config = defaultConfig(1);
  const pre = await pretrainedFor(128);
  const jobs: FeatureJob[] = [];
  for (const [i, name] of ["raccoon-1.jpg", "raccoon-2.jpg", "raccoon-3.jpg"].entries()) {
    const image = await decodeImage(readFileSync(join(raccoon, name)));
    for (const seed of [undefined, 10 + i])
      jobs.push({
        image,
        boxes: [{ cls: 0, xmin: 0.1, ymin: 0.2, xmax: 0.6, ymax: 0.9 }],
        augmentations: config.augmentations,
        seed,
        resize: "letterbox",
      });
  }
  const pool = await FeaturePool.start(pre, 2);
  try {
    assert.equal(pool.size, 2);
    const pooled = await Promise.all(jobs.map((job) => pool.compute(job)));
    for (const [i, job] of jobs.entries()) {
      const local = featuresOf(pre, job);
      assert.deepEqual(pooled[i]!.boxes, local.boxes, `job ${i}`);
      assert.equal(pooled[i]!.grid, local.grid);
      assert.ok(
        pooled[i]!.features.every((v, k) => v === local.features[k]),
        `job ${i}: the features differ`,
      );
    }
    const broken = { ...jobs[0]!, image: { data: new Uint8Array(5), width: 4, height: 4 } };
    await assert.rejects(pool.compute(broken), /size|shape|match/i);
    assert.equal((await pool.compute(jobs[1]!)).features.length, pooled[1]!.features.length);
    // A worker that dies fails the pool's jobs instead of leaving them waiting.
    const workers = (pool as unknown as { workers: Array<{ terminate(): Promise<number> }> }).workers;
    await workers[0]!.terminate();
    await assert.rejects(Promise.all(jobs.map((job) => pool.compute(job))), /a feature worker failed: it exited/);
  } finally {
    await pool.close();
  }
});
