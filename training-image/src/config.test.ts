import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { defaultConfig, learningRateAt, sizedFor, trainerConfigFromPipeline, withSteps } from "./config.ts";

const raccoonConfig = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "shared",
  "datasets",
  "raccoon",
  "training",
  "ssd_mobilenet_v1_pets.config",
);

// pipeline.config floats are float32.
const near = (a: number, b: number) =>
  assert.ok(Math.abs(a - b) <= 1e-7 * Math.max(1, Math.abs(b)) + 1e-9, `${a} ≈ ${b}`);

test("the raccoon recipe's pipeline.config: what boxloop uses, and warnings for the rest", () => {
  const { config, warnings } = trainerConfigFromPipeline(readFileSync(raccoonConfig, "utf8"), 1);
  assert.equal(config.imageSize, 288); // fixed_shape_resizer 300×300, to a multiple of 32
  assert.equal(config.resize, "stretch");
  assert.ok(config.batchSize > 0 && config.numSteps > 0);
  assert.ok(config.augmentations.length > 0);
  assert.ok(warnings.some((w) => w.field.startsWith("model.ssd.box_coder")));
});

test("optimizers and learning-rate schedules", () => {
  const text = (lr: string, opt = "adam_optimizer") => `
    model { center_net { num_classes: 2 image_resizer { keep_aspect_ratio_resizer { max_dimension: 500 } } } }
    train_config { batch_size: 4 num_steps: 100 optimizer { ${opt} { learning_rate { ${lr} } } }
      data_augmentation_options { random_crop_image { min_area: 0.5 } }
      data_augmentation_options { random_rotation90 { } } }`;
  const constant = trainerConfigFromPipeline(text("constant_learning_rate { learning_rate: 0.01 }"), 2).config;
  assert.equal(constant.imageSize, 512);
  assert.equal(constant.resize, "letterbox");
  assert.equal(constant.batchSize, 4);
  assert.equal(constant.optimizer.kind, "adam");
  near(learningRateAt(constant.learningRate, 50), 0.01);
  assert.deepEqual(
    constant.augmentations.map((a) => a.name),
    ["random_crop_image", "random_rotation90"],
  );
  assert.equal((constant.augmentations[0]!.options as { min_area: number }).min_area, 0.5);

  const manual = trainerConfigFromPipeline(
    text(
      "manual_step_learning_rate { initial_learning_rate: 0.1 schedule { step: 10 learning_rate: 0.01 } schedule { step: 20 learning_rate: 0.001 } }",
      "momentum_optimizer",
    ),
    2,
  ).config;
  assert.equal(manual.optimizer.kind, "momentum");
  near(learningRateAt(manual.learningRate, 5), 0.1);
  near(learningRateAt(manual.learningRate, 10), 0.01);
  near(learningRateAt(manual.learningRate, 25), 0.001);

  const cosine = trainerConfigFromPipeline(
    text(
      "cosine_decay_learning_rate { learning_rate_base: 0.04 total_steps: 100 warmup_learning_rate: 0.01 warmup_steps: 10 }",
    ),
    2,
  ).config;
  near(learningRateAt(cosine.learningRate, 0), 0.01);
  near(learningRateAt(cosine.learningRate, 10), 0.04);
  near(learningRateAt(cosine.learningRate, 55), 0.02);
  near(learningRateAt(cosine.learningRate, 100), 0);
});

test("the default config follows the labels and the number of images", () => {
  assert.equal(defaultConfig(3).numClasses, 3);
  for (const [images, steps, views] of [
    [10, 100, 2],
    [40, 100, 2],
    [80, 333, 3],
    [160, 800, 6],
    [1000, 5700, 6],
  ] as const) {
    const sized = sizedFor(defaultConfig(1), images);
    assert.deepEqual([sized.numSteps, sized.maxViewsPerImage], [steps, views], `${images} images`);
    assert.equal(sized.learningRate.kind === "cosine" && sized.learningRate.totalSteps, steps);
  }
  const c = withSteps(defaultConfig(1), 400);
  assert.equal(c.numSteps, 400);
  assert.equal(c.learningRate.kind === "cosine" && c.learningRate.totalSteps, 400);
});
