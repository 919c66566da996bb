import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { listCheckpoints } from "./checkpoint.ts";
import { defaultConfig } from "./config.ts";
import { DataError, imagesFromAnnotations, imagesFromExamples, type TrainImage } from "./dataset.ts";
import { FeatureCache } from "./feature-cache.ts";
import { train } from "./trainer.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");
const labels = ["raccoon"];
// Small and fast: 128×128 input, one view per image.
const config = { ...defaultConfig(1), imageSize: 128, maxViewsPerImage: 1, batchSize: 2 };

function raccoonImages(names: string[]): TrainImage[] {
  return names.map((name) => ({
    key: name,
    load: () => readFile(join(raccoon, "images", name)).then((b) => new Uint8Array(b)),
    boxes: [{ cls: 0, ymin: 0.2, xmin: 0.2, ymax: 0.8, xmax: 0.8 }],
  }));
}

test("training resumes from the newest checkpoint and the step count continues", async () => {
  const modelDir = await mkdtemp(join(tmpdir(), "boxloop-resume-"));
  try {
    const images = raccoonImages(["raccoon-1.jpg", "raccoon-2.jpg"]);
    const first = await train({ images, labels, config: { ...config, numSteps: 2 }, modelDir, maxCheckpoints: 2 });
    assert.equal(first.startStep, 0);
    assert.equal(first.step, 2);
    const before = Array.from(first.head.clsBias.dataSync());
    const second = await train({ images, labels, config: { ...config, numSteps: 4 }, modelDir, maxCheckpoints: 2 });
    assert.equal(second.startStep, 2);
    assert.equal(second.step, 4);
    assert.notDeepEqual(Array.from(second.head.clsBias.dataSync()), before);
    const third = await train({ images, labels, config: { ...config, numSteps: 5 }, modelDir, maxCheckpoints: 2 });
    assert.equal(third.startStep, 4);
    // Only the newest two checkpoints are kept.
    assert.deepEqual(
      (await listCheckpoints(modelDir)).map((c) => c.step),
      [4, 5],
    );
    await assert.rejects(
      train({ images, labels: ["cat"], config: { ...config, numSteps: 6 }, modelDir }),
      /checkpoint .* was trained for labels \[raccoon\]/,
    );
  } finally {
    await rm(modelDir, { recursive: true, force: true });
  }
});

test("unreadable images are skipped and counted; an empty set is a clear error", async () => {
  const modelDir = await mkdtemp(join(tmpdir(), "boxloop-skip-"));
  try {
    const broken: TrainImage = {
      key: "broken.jpg",
      load: async () => new TextEncoder().encode("not a jpeg"),
      boxes: [],
    };
    const r = await train({
      images: [...raccoonImages(["raccoon-3.jpg"]), broken],
      labels,
      config: { ...config, numSteps: 1 },
      modelDir,
    });
    assert.equal(r.trainImages, 1);
    assert.deepEqual(
      r.skippedImages.map((s) => s.key),
      ["broken.jpg"],
    );
    await assert.rejects(train({ images: [], labels, config, modelDir }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /training set is empty/);
      return true;
    });
    await assert.rejects(
      train({ images: [broken], labels, config, modelDir }),
      /none of the 1 training images could be read/,
    );
  } finally {
    await rm(modelDir, { recursive: true, force: true });
  }
});

test("labels missing from the label map and missing image files are clear errors", async () => {
  const example = {
    filename: "a.jpg",
    sourceId: "a",
    encoded: new Uint8Array(),
    format: "jpeg",
    width: 10,
    height: 10,
    objects: [{ xmin: 0, ymin: 0, xmax: 1, ymax: 1, label: 1, text: "dog" }],
  };
  assert.throws(
    () => imagesFromExamples([example], ["cat"], "train.record"),
    /train.record: labels missing from the label map: dog/,
  );
  await assert.rejects(
    imagesFromAnnotations(
      [{ fileName: "nope.jpg", width: 10, height: 10, boxes: [] }],
      join(raccoon, "images"),
      labels,
    ),
    /1 image\(s\) named by the annotations are missing from .*: nope\.jpg/,
  );
});

test("the feature cache: a second run computes only its new images' views and trains exactly as without it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "boxloop-feature-cache-"));
  try {
    const cache = new FeatureCache(join(dir, "cache"));
    const cfg = { ...config, maxViewsPerImage: 2, numSteps: 2 };
    const run = async (names: string[], name: string, featureCache?: FeatureCache) => {
      const lines: string[] = [];
      const r = await train({
        images: raccoonImages(names),
        labels,
        config: cfg,
        modelDir: join(dir, name),
        log: (l) => lines.push(l),
        ...(featureCache ? { featureCache } : {}),
      });
      return { weights: Array.from(r.head.boxPointwise.dataSync()), lines };
    };
    await run(["raccoon-1.jpg", "raccoon-2.jpg"], "first", cache);
    const withCache = await run(["raccoon-3.jpg", "raccoon-1.jpg", "raccoon-2.jpg"], "second", cache);
    assert.ok(
      withCache.lines.some((l) => /4 of 6 views from the feature cache/.test(l)),
      withCache.lines.join("\n"),
    );
    const without = await run(["raccoon-3.jpg", "raccoon-1.jpg", "raccoon-2.jpg"], "plain");
    assert.deepEqual(withCache.weights, without.weights);
    // A damaged entry is a miss, not an error.
    for (const name of await readdir(join(dir, "cache"))) await writeFile(join(dir, "cache", name), "garbage");
    const damaged = await run(["raccoon-3.jpg", "raccoon-1.jpg", "raccoon-2.jpg"], "damaged", cache);
    assert.deepEqual(damaged.weights, without.weights);
    // Over budget, the least recently used entries go.
    await new FeatureCache(join(dir, "cache"), 1).trim();
    assert.deepEqual(await readdir(join(dir, "cache")), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
