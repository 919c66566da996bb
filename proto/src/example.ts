// tf.train.Example for object detection, with the feature keys of the TF Object Detection API
// (what its dataset tools write and its decoder reads). Boxes are normalized to [0, 1].
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ExampleSchema } from "./gen/tensorflow/core/example/example_pb.ts";
import { type Feature, FeatureSchema } from "./gen/tensorflow/core/example/feature_pb.ts";

export interface DetectionObject {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  /** Class id from the label map, starting at 1. */
  label: number;
  /** Class name. */
  text: string;
}

export interface DetectionExample {
  filename: string;
  sourceId: string;
  /** The encoded image file (JPEG or PNG bytes). */
  encoded: Uint8Array;
  /** "jpeg" or "png", as TF OD API writes it. */
  format: string;
  width: number;
  height: number;
  objects: DetectionObject[];
}

export const exampleKeys = {
  height: "image/height",
  width: "image/width",
  filename: "image/filename",
  sourceId: "image/source_id",
  encoded: "image/encoded",
  format: "image/format",
  xmin: "image/object/bbox/xmin",
  xmax: "image/object/bbox/xmax",
  ymin: "image/object/bbox/ymin",
  ymax: "image/object/bbox/ymax",
  text: "image/object/class/text",
  label: "image/object/class/label",
} as const;

/** An Example that is not a valid detection example; `key` names the offending feature. */
export class ExampleError extends Error {
  override readonly name = "ExampleError";
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(`${key}: ${message}`);
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

const bytes = (value: Uint8Array[]): Feature =>
  create(FeatureSchema, { kind: { case: "bytesList", value: { value } } });
const floats = (value: number[]): Feature => create(FeatureSchema, { kind: { case: "floatList", value: { value } } });
const ints = (value: bigint[]): Feature => create(FeatureSchema, { kind: { case: "int64List", value: { value } } });

/** Serializes a detection example as a tf.train.Example. Throws ExampleError on invalid values. */
export function encodeDetectionExample(example: DetectionExample): Uint8Array {
  checkSize(example.width, exampleKeys.width);
  checkSize(example.height, exampleKeys.height);
  example.objects.forEach((o, i) => {
    for (const [axis, lo, hi] of [
      ["x", o.xmin, o.xmax],
      ["y", o.ymin, o.ymax],
    ] as const) {
      if (!(lo >= 0 && hi <= 1 && lo <= hi)) {
        throw new ExampleError(
          `object ${i} has ${axis}min ${lo} and ${axis}max ${hi}; boxes must be normalized with 0 <= min <= max <= 1`,
          axis === "x" ? exampleKeys.xmin : exampleKeys.ymin,
        );
      }
    }
    if (!Number.isInteger(o.label) || o.label < 0) {
      throw new ExampleError(`object ${i} has label ${o.label}; labels are non-negative integers`, exampleKeys.label);
    }
  });
  const objects = example.objects;
  const message = create(ExampleSchema, {
    features: {
      feature: {
        [exampleKeys.height]: ints([BigInt(example.height)]),
        [exampleKeys.width]: ints([BigInt(example.width)]),
        [exampleKeys.filename]: bytes([utf8.encode(example.filename)]),
        [exampleKeys.sourceId]: bytes([utf8.encode(example.sourceId)]),
        [exampleKeys.encoded]: bytes([example.encoded]),
        [exampleKeys.format]: bytes([utf8.encode(example.format)]),
        [exampleKeys.xmin]: floats(objects.map((o) => o.xmin)),
        [exampleKeys.xmax]: floats(objects.map((o) => o.xmax)),
        [exampleKeys.ymin]: floats(objects.map((o) => o.ymin)),
        [exampleKeys.ymax]: floats(objects.map((o) => o.ymax)),
        [exampleKeys.text]: bytes(objects.map((o) => utf8.encode(o.text))),
        [exampleKeys.label]: ints(objects.map((o) => BigInt(o.label))),
      },
    },
  });
  return toBinary(ExampleSchema, message);
}

function checkSize(value: number, key: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new ExampleError(`must be a positive integer, got ${value}`, key);
}

/**
 * Parses a serialized tf.train.Example into a detection example. image/encoded, image/height and
 * image/width are required; the other keys default to empty. Box coordinates are float32, as stored.
 */
export function decodeDetectionExample(data: Uint8Array): DetectionExample {
  let features: Record<string, Feature>;
  try {
    features = fromBinary(ExampleSchema, data).features?.feature ?? {};
  } catch (e) {
    throw new ExampleError(`not a tf.train.Example: ${(e as Error).message}`, "(record)");
  }
  const list = <K extends "bytesList" | "floatList" | "int64List">(key: string, kind: K, required: boolean) => {
    const f = features[key];
    if (f === undefined || f.kind.case === undefined) {
      if (required) throw new ExampleError("required feature is missing", key);
      return [];
    }
    if (f.kind.case !== kind) throw new ExampleError(`expected a ${kind}, found a ${f.kind.case}`, key);
    return f.kind.value.value as Extract<Feature["kind"], { case: K }>["value"]["value"];
  };
  const one = <T>(key: string, values: T[], fallback?: T): T => {
    if (values.length === 1) return values[0]!;
    if (values.length === 0 && fallback !== undefined) return fallback;
    throw new ExampleError(`expected one value, found ${values.length}`, key);
  };
  const text = (key: string, value: Uint8Array) => {
    try {
      return fromUtf8.decode(value);
    } catch {
      throw new ExampleError("is not valid UTF-8", key);
    }
  };

  const xmin = list(exampleKeys.xmin, "floatList", false);
  const xmax = list(exampleKeys.xmax, "floatList", false);
  const ymin = list(exampleKeys.ymin, "floatList", false);
  const ymax = list(exampleKeys.ymax, "floatList", false);
  const texts = list(exampleKeys.text, "bytesList", false);
  const labels = list(exampleKeys.label, "int64List", false);
  const n = xmin.length;
  for (const [key, values, optional] of [
    [exampleKeys.xmax, xmax, false],
    [exampleKeys.ymin, ymin, false],
    [exampleKeys.ymax, ymax, false],
    [exampleKeys.text, texts, true],
    [exampleKeys.label, labels, true],
  ] as const) {
    if (values.length !== n && !(optional && values.length === 0)) {
      throw new ExampleError(`has ${values.length} values but ${exampleKeys.xmin} has ${n}`, key);
    }
  }

  return {
    filename: text(
      exampleKeys.filename,
      one(exampleKeys.filename, list(exampleKeys.filename, "bytesList", false), empty),
    ),
    sourceId: text(
      exampleKeys.sourceId,
      one(exampleKeys.sourceId, list(exampleKeys.sourceId, "bytesList", false), empty),
    ),
    encoded: one(exampleKeys.encoded, list(exampleKeys.encoded, "bytesList", true)),
    format: text(exampleKeys.format, one(exampleKeys.format, list(exampleKeys.format, "bytesList", false), empty)),
    width: Number(one(exampleKeys.width, list(exampleKeys.width, "int64List", true))),
    height: Number(one(exampleKeys.height, list(exampleKeys.height, "int64List", true))),
    objects: Array.from({ length: n }, (_, i) => ({
      xmin: xmin[i]!,
      ymin: ymin[i]!,
      xmax: xmax[i]!,
      ymax: ymax[i]!,
      label: labels.length ? Number(labels[i]) : 0,
      text: texts.length ? text(exampleKeys.text, texts[i]!) : "",
    })),
  };
}

const empty = new Uint8Array(0);
