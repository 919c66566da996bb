import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { equals } from "@bufbuild/protobuf";
import { TrainEvalPipelineConfigSchema } from "./gen/object_detection/protos/pipeline_pb.ts";
import { PostProcessing_ScoreConverter } from "./gen/object_detection/protos/post_processing_pb.ts";
import { parsePipelineConfig, readPipelineConfig, TextFormatError, writePipelineConfig } from "./pipeline-config.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");
const ssdPath = join(raccoon, "training", "ssd_mobilenet_v1_pets.config");
const fasterRcnnPath = join(import.meta.dirname, "testdata", "faster_rcnn_raccoon.config");

test("the raccoon SSD config parses with its values", async () => {
  const { config, warnings } = await readPipelineConfig(ssdPath);
  const model = config.model!.model;
  assert.ok(model.case === "ssd");
  const ssd = model.value;
  assert.equal(ssd.numClasses, 1);
  const resizer = ssd.imageResizer!.imageResizerOneof;
  assert.ok(resizer.case === "fixedShapeResizer");
  assert.equal(resizer.value.height, 300);
  assert.equal(resizer.value.width, 300);
  const anchors = ssd.anchorGenerator!.anchorGeneratorOneof;
  assert.ok(anchors.case === "ssdAnchorGenerator");
  assert.deepEqual(anchors.value.aspectRatios, [1, 2, 0.5, 3, Math.fround(0.3333)]);
  assert.equal(ssd.postProcessing?.scoreConverter, PostProcessing_ScoreConverter.SIGMOID);
  assert.equal(config.trainConfig?.batchSize, 24);
  const opt = config.trainConfig!.optimizer!.optimizer;
  assert.ok(opt.case === "rmsPropOptimizer");
  const lr = opt.value.learningRate!.learningRate;
  assert.ok(lr.case === "exponentialDecayLearningRate");
  assert.equal(lr.value.initialLearningRate, Math.fround(0.004));
  assert.equal(lr.value.decaySteps, 800720);
  assert.equal(config.evalConfig?.numExamples, 40);
  const reader = config.evalInputReader[0]!.inputReader;
  assert.ok(reader.case === "tfRecordInputReader");
  assert.deepEqual(reader.value.inputPath, ["gs://$" + "{YOUR_GCS_BUCKET}/data/test.record"]);

  const byField = new Map(warnings.map((w) => [w.field, w.line]));
  assert.equal(byField.get("model.ssd.box_coder"), 10);
  assert.equal(byField.get("train_config.data_augmentation_options.ssd_random_crop"), 165);
  assert.equal(byField.get("eval_input_reader.shuffle"), 186);
  for (const used of ["model.ssd.num_classes", "model.ssd.image_resizer", "train_config.batch_size"]) {
    assert.ok(!byField.has(used), `${used} must not be reported`);
  }
  // One warning per unsupported subtree, not one per field inside it.
  assert.ok(![...byField.keys()].some((f) => f.startsWith("model.ssd.box_coder.")));
});

test("the faster_rcnn fixture parses: keep-aspect resizer, flips, momentum with manual steps, readers", async () => {
  const { config } = await readPipelineConfig(fasterRcnnPath);
  const model = config.model!.model;
  assert.ok(model.case === "fasterRcnn");
  const resizer = model.value.imageResizer!.imageResizerOneof;
  assert.ok(resizer.case === "keepAspectRatioResizer");
  assert.equal(resizer.value.minDimension, 600);
  assert.equal(resizer.value.maxDimension, 1024);
  assert.deepEqual(
    config.trainConfig!.dataAugmentationOptions.map((o) => o.preprocessingStep.case),
    ["randomHorizontalFlip", "randomVerticalFlip"],
  );
  const opt = config.trainConfig!.optimizer!.optimizer;
  assert.ok(opt.case === "momentumOptimizer");
  assert.equal(opt.value.momentumOptimizerValue, Math.fround(0.9));
  const lr = opt.value.learningRate!.learningRate;
  assert.ok(lr.case === "manualStepLearningRate");
  assert.deepEqual(
    lr.value.schedule.map((s) => [s.step, s.learningRate]),
    [
      [900000, Math.fround(0.00003)],
      [1200000, Math.fround(0.000003)],
    ],
  );
  assert.deepEqual(config.evalConfig!.metricsSet, ["coco_detection_metrics"]);
  const train = config.trainInputReader!.inputReader;
  assert.ok(train.case === "tfRecordInputReader");
  assert.deepEqual(train.value.inputPath, ["data/train.record"]);
  assert.equal(config.evalInputReader[0]!.labelMapPath, "training/object-detection.pbtxt");
});

test("the caller's list of supported fields decides the warnings", async () => {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(ssdPath, "utf8");
  const { warnings } = parsePipelineConfig(text, { supported: ["model", "train_config", "eval_config"] });
  assert.deepEqual(
    warnings.map((w) => w.field),
    ["train_input_reader", "eval_input_reader"],
  );
});

test("a written config parses back to the same message", async () => {
  const { config } = await readPipelineConfig(fasterRcnnPath);
  const again = parsePipelineConfig(writePipelineConfig(config)).config;
  assert.ok(equals(TrainEvalPipelineConfigSchema, config, again));
});

const malformed: [string, string, number, string, RegExp][] = [
  [
    "unknown field",
    "model {\n  ssd {\n    num_clases: 3\n  }\n}\n",
    3,
    "model.ssd.num_clases",
    /unknown field .*did you mean "num_classes"/,
  ],
  [
    "bad enum value",
    "model { ssd {\n post_processing {\n  score_converter: SIGMOD\n } } }",
    3,
    "model.ssd.post_processing.score_converter",
    /SIGMOD/,
  ],
  ["text for a number", "train_config {\n  batch_size: eight\n}", 2, "train_config.batch_size", /integer/],
  ["negative unsigned", "train_config {\n\n  num_steps: -5\n}", 3, "train_config.num_steps", /negative/],
  [
    "field set twice",
    "train_config {\n  batch_size: 2\n  batch_size: 4\n}",
    3,
    "train_config.batch_size",
    /more than once/,
  ],
  ["two members of a oneof", "model {\n  ssd {}\n  faster_rcnn {}\n}", 3, "model.faster_rcnn", /only one of/],
  ["unclosed brace", "eval_config {\n  num_examples: 4\n", 1, "eval_config", /never closed/],
  ["missing colon", "eval_config {\n  num_examples 4\n}", 2, "eval_config.num_examples", /":"/],
  [
    "unterminated string",
    'train_input_reader {\n  label_map_path: "a.pbtxt\n}',
    2,
    "train_input_reader.label_map_path",
    /unterminated/,
  ],
];

for (const [what, text, line, field, reason] of malformed) {
  test(`a malformed config names its line and field: ${what}`, () => {
    assert.throws(
      () => parsePipelineConfig(text, { source: "bad.config" }),
      (e: unknown) => {
        assert.ok(e instanceof TextFormatError, String(e));
        assert.equal(e.line, line);
        assert.equal(e.field, field);
        assert.match(e.message, reason);
        assert.ok(e.message.startsWith(`bad.config:${line}:`), e.message);
        return true;
      },
    );
  });
}

test("the center_net fixture parses: TF2-style config with Adam, cosine decay and square crops", async () => {
  const { config, warnings } = await readPipelineConfig(
    join(import.meta.dirname, "testdata", "center_net_raccoon.config"),
  );
  const model = config.model!.model;
  assert.ok(model.case === "centerNet");
  assert.equal(model.value.numClasses, 1);
  assert.deepEqual(model.value.featureExtractor?.channelMeans, [0.485, 0.456, 0.406].map(Math.fround));
  const resizer = model.value.imageResizer!.imageResizerOneof;
  assert.ok(resizer.case === "keepAspectRatioResizer" && resizer.value.padToMaxDimension);
  const opt = config.trainConfig!.optimizer!.optimizer;
  assert.ok(opt.case === "adamOptimizer");
  const lr = opt.value.learningRate!.learningRate;
  assert.ok(lr.case === "cosineDecayLearningRate");
  assert.deepEqual([lr.value.totalSteps, lr.value.warmupSteps], [2000, 100]);
  assert.deepEqual(
    config.trainConfig!.dataAugmentationOptions.map((o) => o.preprocessingStep.case),
    ["randomHorizontalFlip", "randomSquareCropByScale", "randomJitterBoxes"],
  );
  const fields = warnings.map((w) => w.field);
  assert.ok(fields.includes("train_config.data_augmentation_options.random_square_crop_by_scale"));
  assert.ok(fields.includes("model.center_net.object_center_params"));
  assert.ok(!fields.some((f) => f.includes("random_jitter_boxes") || f.includes("random_horizontal_flip")));
});

test("eval_input_reader repeats, as in TF2 configs that evaluate several sets", () => {
  const text =
    'eval_input_reader {\n  label_map_path: "a.pbtxt"\n}\neval_input_reader {\n  label_map_path: "b.pbtxt"\n}\n';
  const { config } = parsePipelineConfig(text);
  assert.deepEqual(
    config.evalInputReader.map((r) => r.labelMapPath),
    ["a.pbtxt", "b.pbtxt"],
  );
});
