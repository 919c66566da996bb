// The COCO CenterNet (MobileNetV3-large-0.75, 80 classes) that ships inside @vladmandic/human: loaded as a
// TF.js graph model whose neck gives stride-4 features, plus its own class and box heads as tensors.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type GraphModel, loadGraphModel } from "@tensorflow/tfjs-converter";
import * as tf from "@tensorflow/tfjs-core";

export const pretrainedName = "@vladmandic/human/models/centernet";
/** Stride-4 fused neck features, right before the class and box heads. */
export const featureNode = "tower_0/CenternetHead/mul";
export const inputNode = "tower_0/images";
export const featureChannels = 128;
export const featureStride = 4;
const resizeNodes: Array<[string, number]> = [
  ["tower_0/CenternetHead/c5_upsample/up_sampling2d/mul", 16],
  ["tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul", 8],
  ["tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul", 4],
];

/** COCO class ids (0-based, in the model's 80 channels) of the animals. */
export const cocoAnimals: Record<string, number> = {
  bird: 14,
  cat: 15,
  dog: 16,
  horse: 17,
  sheep: 18,
  cow: 19,
  elephant: 20,
  bear: 21,
  zebra: 22,
  giraffe: 23,
};

export interface PretrainedHeads {
  clsDepthwise: tf.Tensor4D; // [3,3,128,1]
  clsPointwise: tf.Tensor4D; // [1,1,128,80]
  clsBias: tf.Tensor1D; // [80]
  boxDepthwise: tf.Tensor4D; // [3,3,128,1]
  boxPointwise: tf.Tensor4D; // [1,1,128,4]
  boxBias: tf.Tensor1D; // [4]
  /** The box head's output is multiplied by this to get left/top/right/bottom distances in feature cells. */
  boxScale: number;
}

export interface Pretrained {
  model: GraphModel;
  size: number;
  /** The model's files, for the exporter's graph importer. */
  jsonPath: string;
  heads: PretrainedHeads;
  /** [B,size,size,3] float RGB 0..255 -> [B,size/4,size/4,128]. */
  features(images: tf.Tensor4D): tf.Tensor4D;
}

export function pretrainedPath(): string {
  const require = createRequire(import.meta.url);
  // The package exports no subpaths; its main file is <root>/dist/*.js.
  return join(dirname(dirname(require.resolve("@vladmandic/human"))), "models", "centernet.json");
}

interface ModelJson {
  modelTopology: {
    node: Array<{ name: string; op: string; attr?: Record<string, { shape?: { dim: Array<{ size: string }> } }> }>;
  };
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
}

/** Reads the model files; makes the input any batch/size and rewrites the neck's fixed resize targets for `size`. */
export function readPretrainedArtifacts(size: number, jsonPath = pretrainedPath()): tf.io.ModelArtifacts {
  if (size % 32 !== 0) throw new Error(`image size must be a multiple of 32, got ${size}`);
  const json = JSON.parse(readFileSync(jsonPath, "utf8")) as ModelJson;
  for (const node of json.modelTopology.node) {
    const dims = node.op === "Placeholder" ? node.attr?.shape?.shape?.dim : undefined;
    for (const d of dims?.slice(0, 3) ?? []) d.size = "-1";
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(jsonPath), p))));
  const data = Buffer.concat(shards);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = spec.quantization ? (spec.quantization.dtype === "uint8" ? 1 : 2) : 4;
    const resize = resizeNodes.find(([name]) => name === spec.name);
    if (resize) new Int32Array(weightData, offset, 2).fill(size / resize[1]);
    offset += count * bytes;
  }
  const artifacts: tf.io.ModelArtifacts = { modelTopology: json.modelTopology, weightSpecs: specs, weightData };
  if (json.format) artifacts.format = json.format;
  return artifacts;
}

function weight(model: GraphModel, name: string): tf.Tensor {
  const t = model.weights[name]?.[0];
  if (!t) throw new Error(`pretrained model has no weight '${name}'`);
  return t;
}

export async function loadPretrained(size: number): Promise<Pretrained> {
  const jsonPath = pretrainedPath();
  const model = await loadGraphModel(tf.io.fromMemory(readPretrainedArtifacts(size, jsonPath)));
  const heads: PretrainedHeads = {
    clsDepthwise: weight(model, "CenternetHead/centernet_cls_output/depthwise_weights") as tf.Tensor4D,
    clsPointwise: weight(model, "CenternetHead/centernet_cls_output/pointwise_weights") as tf.Tensor4D,
    clsBias: weight(model, "CenternetHead/centernet_cls_output/biases") as tf.Tensor1D,
    boxDepthwise: weight(model, "CenternetHead/centernet_wh_output/depthwise_weights") as tf.Tensor4D,
    boxPointwise: weight(model, "CenternetHead/centernet_wh_output/pointwise_weights") as tf.Tensor4D,
    boxBias: weight(model, "CenternetHead/centernet_wh_output/biases") as tf.Tensor1D,
    boxScale: weight(model, "tower_0/mul/y").dataSync()[0]!,
  };
  return {
    model,
    size,
    jsonPath,
    heads,
    features: (images) => model.execute({ [inputNode]: images }, featureNode) as tf.Tensor4D,
  };
}
