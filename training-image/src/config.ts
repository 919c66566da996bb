// The trainer's settings, read from a TF OD API pipeline.config (the fields boxloop acts on; the rest
// are reported as warnings by proto/pipeline-config) or made up from the labels when none is given.
import { type ConfigWarning, parsePipelineConfig, type TrainEvalPipelineConfig } from "@boxloop/proto/pipeline-config";
import type { AugmentationName, AugmentationSpec } from "./augment.ts";

export type LearningRate =
  | { kind: "constant"; rate: number }
  | { kind: "manual_step"; initial: number; schedule: Array<{ step: number; rate: number }>; warmup: boolean }
  | { kind: "cosine"; base: number; totalSteps: number; warmupRate: number; warmupSteps: number; holdSteps: number }
  | { kind: "exponential"; initial: number; decaySteps: number; factor: number; staircase: boolean; min: number };

export interface TrainerConfig {
  numClasses: number;
  /** Square network input; a multiple of 32. */
  imageSize: number;
  /** letterbox: keep_aspect_ratio_resizer (pad bottom/right); stretch: fixed_shape_resizer. */
  resize: "letterbox" | "stretch";
  batchSize: number;
  numSteps: number;
  optimizer: { kind: "adam"; epsilon: number } | { kind: "momentum"; momentum: number };
  learningRate: LearningRate;
  augmentations: AugmentationSpec[];
  /** Distinct augmented views cached per image at most (feature cache). */
  maxViewsPerImage: number;
  /** Predict on the image and on its mirror image and average the two (evaluation and the exported graph). */
  flipAverage: boolean;
  /** COCO channels per class that the class heatmap starts from (max-reduced). */
  sourceChannels: number;
  lossWeights: { heatmap: number; box: number };
  /** train_config.freeze_variables: regular expressions over the head's weight names (`head/clsDepthwise`…). */
  freezeVariables: string[];
  metricsSets: string[];
  evalNumExamples: number;
  labelMapPath?: string;
}

export const defaultImageSize = 384;

/** Good for a few dozen to a few hundred images on 2 CPU cores: see docs/trainer.md. */
export function defaultConfig(numClasses: number): TrainerConfig {
  return {
    numClasses,
    imageSize: defaultImageSize,
    resize: "letterbox",
    batchSize: 8,
    numSteps: 100,
    optimizer: { kind: "adam", epsilon: 1e-8 },
    learningRate: { kind: "cosine", base: 5e-4, totalSteps: 100, warmupRate: 5e-4, warmupSteps: 0, holdSteps: 0 },
    augmentations: [
      { name: "random_horizontal_flip", options: {} },
      { name: "random_scale_crop_and_pad_to_square", options: { scale_min: 0.6, scale_max: 1.3 } },
      { name: "random_adjust_brightness", options: {} },
    ],
    maxViewsPerImage: 2,
    flipAverage: true,
    sourceChannels: 4,
    lossWeights: { heatmap: 1, box: 1 },
    freezeVariables: [],
    metricsSets: ["coco_detection_metrics"],
    evalNumExamples: 0,
  };
}

/**
 * Steps and cached views per image for `images` training images, where no pipeline.config sets them:
 * 100 steps and 2 views up to 40 images (a retrain on 40 stays under a minute on 2 cores), then both
 * grow with the data, to 800 steps and 6 views at 160 (raccoon: AP50 0.888 → 0.90, docs/trainer.md);
 * views stop at 6.
 */
export function sizedFor(config: TrainerConfig, images: number): TrainerConfig {
  const extra = Math.max(0, images - 40);
  return {
    ...withSteps(config, Math.round(100 + (extra * 35) / 6)),
    maxViewsPerImage: Math.min(6, 2 + Math.round(extra / 30)),
  };
}

/** Sets num_steps (and a cosine schedule's length) together. */
export function withSteps(config: TrainerConfig, steps: number): TrainerConfig {
  const learningRate =
    config.learningRate.kind === "cosine" ? { ...config.learningRate, totalSteps: steps } : config.learningRate;
  return { ...config, numSteps: steps, learningRate };
}

const roundTo32 = (v: number) => Math.max(32, Math.round(v / 32) * 32);

const augmentationKeys: Record<string, AugmentationName> = {
  randomHorizontalFlip: "random_horizontal_flip",
  randomVerticalFlip: "random_vertical_flip",
  randomRotation90: "random_rotation90",
  randomAdjustBrightness: "random_adjust_brightness",
  randomAdjustContrast: "random_adjust_contrast",
  randomCropImage: "random_crop_image",
  randomPadImage: "random_pad_image",
  randomJitterBoxes: "random_jitter_boxes",
  randomScaleCropAndPadToSquare: "random_scale_crop_and_pad_to_square",
};

/** camelCase proto fields -> the snake_case option names TF OD API documents. */
function snake(value: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "$typeName" || typeof v !== "number") continue;
    out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  }
  return out;
}

function learningRateOf(
  lr: NonNullable<TrainEvalPipelineConfig["trainConfig"]>["optimizer"],
  numSteps: number,
): LearningRate {
  const holder = lr?.optimizer.value?.learningRate?.learningRate;
  switch (holder?.case) {
    case "constantLearningRate":
      return { kind: "constant", rate: holder.value.learningRate };
    case "manualStepLearningRate":
      return {
        kind: "manual_step",
        initial: holder.value.initialLearningRate,
        schedule: holder.value.schedule.map((s) => ({ step: s.step, rate: s.learningRate })),
        warmup: holder.value.warmup,
      };
    case "cosineDecayLearningRate":
      return {
        kind: "cosine",
        base: holder.value.learningRateBase,
        totalSteps: holder.value.totalSteps || numSteps,
        warmupRate: holder.value.warmupLearningRate,
        warmupSteps: holder.value.warmupSteps,
        holdSteps: holder.value.holdBaseRateSteps,
      };
    case "exponentialDecayLearningRate":
      return {
        kind: "exponential",
        initial: holder.value.initialLearningRate,
        decaySteps: holder.value.decaySteps,
        factor: holder.value.decayFactor,
        staircase: holder.value.staircase,
        min: holder.value.minLearningRate,
      };
    default:
      return { kind: "cosine", base: 5e-4, totalSteps: numSteps, warmupRate: 5e-4, warmupSteps: 0, holdSteps: 0 };
  }
}

export interface ParsedTrainerConfig {
  config: TrainerConfig;
  warnings: ConfigWarning[];
}

/** Reads the fields boxloop acts on; `numClasses` from the labels wins over the file's num_classes. */
export function trainerConfigFromPipeline(
  text: string,
  numClasses: number,
  source = "pipeline.config",
): ParsedTrainerConfig {
  const { config: p, warnings } = parsePipelineConfig(text, { source });
  const c = defaultConfig(numClasses);
  const model = p.model?.model;
  const resizer = (
    model?.value as { imageResizer?: { imageResizerOneof: { case?: string; value?: object } } } | undefined
  )?.imageResizer?.imageResizerOneof;
  if (resizer?.case === "keepAspectRatioResizer") {
    const r = resizer.value as { maxDimension: number };
    if (r.maxDimension > 0) c.imageSize = roundTo32(r.maxDimension);
    c.resize = "letterbox";
  } else if (resizer?.case === "fixedShapeResizer") {
    const r = resizer.value as { height: number; width: number };
    c.imageSize = roundTo32(Math.max(r.height, r.width));
    c.resize = "stretch";
  }
  const t = p.trainConfig;
  if (t) {
    if (t.batchSize > 0) c.batchSize = t.batchSize;
    if (t.numSteps > 0) c.numSteps = t.numSteps;
    const opt = t.optimizer?.optimizer;
    if (opt?.case === "momentumOptimizer")
      c.optimizer = { kind: "momentum", momentum: opt.value.momentumOptimizerValue || 0.9 };
    else if (opt?.case === "adamOptimizer") c.optimizer = { kind: "adam", epsilon: opt.value.epsilon || 1e-8 };
    else if (opt?.case === "rmsPropOptimizer")
      warnings.push({
        field: "train_config.optimizer.rms_prop_optimizer",
        line: 0,
        message: "rms_prop_optimizer is not supported; using adam",
      });
    c.learningRate = learningRateOf(t.optimizer, c.numSteps);
    if (t.freezeVariables.length > 0) c.freezeVariables = [...t.freezeVariables];
    if (t.dataAugmentationOptions.length > 0) {
      c.augmentations = [];
      for (const step of t.dataAugmentationOptions) {
        const name = step.preprocessingStep.case ? augmentationKeys[step.preprocessingStep.case] : undefined;
        if (name && step.preprocessingStep.value)
          c.augmentations.push({ name, options: snake(step.preprocessingStep.value) });
      }
    }
  }
  if (p.evalConfig) {
    if (p.evalConfig.metricsSet.length > 0) c.metricsSets = [...p.evalConfig.metricsSet];
    c.evalNumExamples = p.evalConfig.numExamples;
  }
  const labelMap = p.trainInputReader?.labelMapPath;
  if (labelMap) c.labelMapPath = labelMap;
  return { config: c, warnings };
}

/** The learning rate at a (0-based) global step. */
export function learningRateAt(lr: LearningRate, step: number): number {
  switch (lr.kind) {
    case "constant":
      return lr.rate;
    case "manual_step": {
      let rate = lr.initial;
      for (const s of lr.schedule) if (step >= s.step) rate = s.rate;
      const first = lr.schedule[0];
      if (lr.warmup && first && step < first.step) return lr.initial + ((first.rate - lr.initial) * step) / first.step;
      return rate;
    }
    case "cosine": {
      if (step < lr.warmupSteps) return lr.warmupRate + ((lr.base - lr.warmupRate) * step) / lr.warmupSteps;
      if (step < lr.warmupSteps + lr.holdSteps) return lr.base;
      const span = Math.max(1, lr.totalSteps - lr.warmupSteps - lr.holdSteps);
      const done = Math.min(1, (step - lr.warmupSteps - lr.holdSteps) / span);
      return 0.5 * lr.base * (1 + Math.cos(Math.PI * done));
    }
    case "exponential": {
      const e = lr.staircase ? Math.floor(step / lr.decaySteps) : step / lr.decaySteps;
      return Math.max(lr.min, lr.initial * lr.factor ** e);
    }
  }
}
