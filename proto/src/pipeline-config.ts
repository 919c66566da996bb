// pipeline.config (TF Object Detection API text format): parse with line-numbered errors, list the
// settings boxloop does not act on as warnings, and write back.
import { readFile } from "node:fs/promises";
import { toText } from "@bufbuild/protobuf/txtpb";
import {
  type TrainEvalPipelineConfig,
  TrainEvalPipelineConfigSchema,
} from "./gen/object_detection/protos/pipeline_pb.ts";
import { parseText, type TextField } from "./text-format.ts";

export type { TrainEvalPipelineConfig } from "./gen/object_detection/protos/pipeline_pb.ts";
export { TextFormatError } from "./text-format.ts";

/** A setting that is present in the file but that boxloop ignores. */
export interface ConfigWarning {
  field: string;
  line: number;
  message: string;
}

/**
 * Field paths boxloop acts on. A path covers the fields below it; `*` matches one path segment.
 * The trainer can pass its own list to `parsePipelineConfig`.
 */
export const defaultSupportedFields: readonly string[] = [
  "model.*.num_classes",
  "model.*.image_resizer",
  "train_config.batch_size",
  "train_config.num_steps",
  "train_config.freeze_variables",
  "train_config.optimizer",
  ...[
    "random_horizontal_flip",
    "random_vertical_flip",
    "random_rotation90",
    "random_adjust_brightness",
    "random_adjust_contrast",
    "random_crop_image",
    "random_pad_image",
    "random_jitter_boxes",
    "random_scale_crop_and_pad_to_square",
  ].map((step) => `train_config.data_augmentation_options.${step}`),
  "eval_config.metrics_set",
  "eval_config.num_examples",
  "train_input_reader.label_map_path",
  "train_input_reader.tf_record_input_reader.input_path",
  "eval_input_reader.label_map_path",
  "eval_input_reader.tf_record_input_reader.input_path",
];

export interface ParseOptions {
  /** File name used in messages. */
  source?: string;
  /** Field paths boxloop acts on; defaults to `defaultSupportedFields`. */
  supported?: readonly string[];
}

export interface ParsedPipelineConfig {
  config: TrainEvalPipelineConfig;
  warnings: ConfigWarning[];
}

/** Parses pipeline.config text; throws TextFormatError (with line and field) when it is invalid. */
export function parsePipelineConfig(text: string, options: ParseOptions = {}): ParsedPipelineConfig {
  const { message, fields } = parseText(TrainEvalPipelineConfigSchema, text, options.source ?? "pipeline.config");
  return { config: message, warnings: unsupportedFields(fields, options.supported ?? defaultSupportedFields) };
}

export async function readPipelineConfig(path: string, options: Omit<ParseOptions, "source"> = {}) {
  return parsePipelineConfig(await readFile(path, "utf8"), { ...options, source: path });
}

/** Writes a config in text format (two-space indent, one field per line). */
export function writePipelineConfig(config: TrainEvalPipelineConfig): string {
  return toText(TrainEvalPipelineConfigSchema, config);
}

/**
 * The fields set in the text that no supported path covers. A field is reported once, at its
 * highest unsupported level: `model.ssd.box_coder` is one warning, not one per field inside it.
 */
export function unsupportedFields(fields: readonly TextField[], supported: readonly string[]): ConfigWarning[] {
  const patterns = supported.map((p) => p.split("."));
  const warnings: ConfigWarning[] = [];
  const reported: string[] = [];
  for (const f of fields) {
    const path = f.path.split(".");
    if (patterns.some((p) => covers(p, path))) continue;
    if (f.isMessage && patterns.some((p) => isAncestor(path, p))) continue;
    if (reported.some((r) => f.path.startsWith(`${r}.`))) continue;
    reported.push(f.path);
    warnings.push({ field: f.path, line: f.line, message: `line ${f.line}: ${f.path} is not used by boxloop` });
  }
  return warnings;
}

const segmentMatches = (pattern: string, segment: string) => pattern === "*" || pattern === segment;

/** The pattern is the path or one of its ancestors. */
function covers(pattern: string[], path: string[]): boolean {
  return pattern.length <= path.length && pattern.every((p, i) => segmentMatches(p, path[i]!));
}

/** The path is a strict ancestor of what the pattern names. */
function isAncestor(path: string[], pattern: string[]): boolean {
  return path.length < pattern.length && path.every((s, i) => segmentMatches(pattern[i]!, s));
}
