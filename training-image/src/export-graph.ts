// The serving graph: uint8 image -> letterbox -> the COCO CenterNet's backbone and neck (imported from
// its TF.js graph model) -> the trained head (on the image and its mirror image, averaged) -> peaks,
// boxes, NonMaxSuppressionV5, top-N -> TF OD API's detection outputs. Weights are Consts. Mirrors
// image.ts (letterbox), head.ts (predictHeat) and decode.ts (post-processing).
import { GraphBuilder, type Output } from "@boxloop/proto/graph-builder";
import type { SignatureSpec } from "@boxloop/proto/saved-model-writer";
import { DataType, type HostTensor, tensor } from "@boxloop/proto/tensor";
import { importTfjsGraphModel, readTfjsGraphModel } from "@boxloop/proto/tfjs-graph-import";
import type * as tf from "@tensorflow/tfjs-core";
import type { DecodeOptions } from "./decode.ts";
import { type HeadWeights, mirroredDistanceOrder, mirroredDistanceShift } from "./head.ts";
import type { ResizeMode } from "./image.ts";
import { featureNode, featureStride, inputNode, pretrainedPath } from "./pretrained.ts";

const F = DataType.DT_FLOAT;
const I = DataType.DT_INT32;

const resizeTargets: Record<string, number> = {
  "tower_0/CenternetHead/c5_upsample/up_sampling2d/mul": 16,
  "tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul": 8,
  "tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul": 4,
};

function hostOf(t: tf.Tensor): HostTensor {
  return tensor(F, t.shape, Float32Array.from(t.dataSync()));
}

export interface ExportGraph {
  graph: ReturnType<GraphBuilder["toGraphDef"]>;
  signature: SignatureSpec;
}

export interface ExportGraphOptions {
  size: number;
  resize: ResizeMode;
  /** Average the answers on the image and on its mirror image (head.ts, predictHeat). */
  flip: boolean;
  decode: DecodeOptions;
  modelJsonPath?: string;
}

export async function buildExportGraph(head: HeadWeights, o: ExportGraphOptions): Promise<ExportGraph> {
  const { size, resize, decode } = o;
  const g = new GraphBuilder();
  const input = g.placeholder("input_tensor", DataType.DT_UINT8, [1, -1, -1, 3]);

  // Letterbox: scale the long side to `size`, pad bottom/right with zeros (or stretch to size×size).
  const { image, contentH, contentW } = g.scope("preprocess", () => {
    const x = g.cast(input, F);
    if (resize === "stretch") {
      const image = g.resizeBilinear(x, [size, size], { halfPixelCenters: true });
      return { image, contentH: g.operand(size, F), contentW: g.operand(size, F) };
    }
    const shape = g.shape(input);
    const h = g.cast(g.stridedSlice(shape, [1], [2], [1], { shrinkAxis: 1 }), F);
    const w = g.cast(g.stridedSlice(shape, [2], [3], [1], { shrinkAxis: 1 }), F);
    const scale = g.realDiv(g.operand(size, F), g.maximum(h, w));
    const newH = g.maximum(g.cast(g.floor(g.add(g.mul(h, scale), 0.5)), I), 1);
    const newW = g.maximum(g.cast(g.floor(g.add(g.mul(w, scale), 0.5)), I), 1);
    const resized = g.resizeBilinear(x, g.pack([newH, newW]), { halfPixelCenters: true });
    const zero = g.operand(0, I);
    const paddings = g.reshape(
      g.pack([zero, zero, zero, g.sub(g.operand(size, I), newH), zero, g.sub(g.operand(size, I), newW), zero, zero]),
      [4, 2],
    );
    return { image: g.pad(resized, paddings), contentH: g.cast(newH, F), contentW: g.cast(newW, F) };
  });

  const files = await readTfjsGraphModel(o.modelJsonPath ?? pretrainedPath());
  // Keep only what the features need: the COCO decoder after them has shapes fixed for 512×512.
  const nodes = files.modelJson.modelTopology.node as Array<{
    name: string;
    op: string;
    input?: string[];
    attr?: Record<string, unknown>;
  }>;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const needed = new Set<string>();
  const stack = [featureNode];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    for (const ref of byName.get(name)?.input ?? []) stack.push(ref.replace(/^\^/, "").replace(/:\d+$/, ""));
  }
  files.modelJson.modelTopology.node = nodes.filter((n) => needed.has(n.name));
  for (const node of files.modelJson.modelTopology.node as typeof nodes) {
    if (node.op === "Placeholder") delete node.attr?.shape;
  }
  const backbone = importTfjsGraphModel(g, files, {
    prefix: "backbone",
    // With flip, a batch of two: the letterboxed image and its mirror image.
    inputs: { [inputNode]: o.flip ? g.concat([image, g.reverse(image, [2])], 0) : image },
    patchConst: (name, value) =>
      resizeTargets[name]
        ? tensor(I, [2], Int32Array.from([size / resizeTargets[name]!, size / resizeTargets[name]!]))
        : value,
  });
  const features = backbone.output(featureNode);

  const grid = size / featureStride;
  const k = head.clsBias.shape[0]! / head.channelsPerClass;
  const { logits, distances: rawDistances } = g.scope("head", () => {
    const c = (t: tf.Tensor, name: string) => g.constant(hostOf(t), name);
    const cls = g.depthwiseConv2d(features, c(head.clsDepthwise, "cls_depthwise"), { padding: "SAME" });
    let logits = g.biasAdd(
      g.conv2d(cls, c(head.clsPointwise, "cls_pointwise"), { padding: "SAME" }),
      c(head.clsBias, "cls_bias"),
    );
    if (head.channelsPerClass > 1) logits = g.max(g.reshape(logits, [-1, grid, grid, k, head.channelsPerClass]), 4);
    const box = g.depthwiseConv2d(features, c(head.boxDepthwise, "box_depthwise"), { padding: "SAME" });
    const distances = g.biasAdd(
      g.conv2d(box, c(head.boxPointwise, "box_pointwise"), { padding: "SAME" }),
      c(head.boxBias, "box_bias"),
    );
    return { logits, distances };
  });

  const { heat, distances } = g.scope("flip_average", () => {
    const heat = g.sigmoid(logits);
    if (!o.flip) return { heat, distances: rawDistances };
    const first = (x: Output) => g.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]);
    const mirrored = (x: Output) => g.reverse(g.slice(x, [1, 0, 0, 0], [1, -1, -1, -1]), [2]);
    const back = g.add(
      g.gather(mirrored(rawDistances), g.operand(mirroredDistanceOrder, I), 3),
      g.constant(tensor(F, [4], Float32Array.from(mirroredDistanceShift)), "mirrored_shift"),
    );
    return {
      heat: g.mul(g.add(first(heat), mirrored(heat)), 0.5),
      distances: g.mul(g.add(first(rawDistances), back), 0.5),
    };
  });

  const out = g.scope("postprocess", () => {
    const pooled = g.maxPool(heat, { ksize: [1, 3, 3, 1], strides: [1, 1, 1, 1], padding: "SAME" });
    const peaks = g.mul(heat, g.cast(g.equal(heat, pooled), F));
    const [scores, index] = g.topK(g.reshape(peaks, [-1]), Math.min(decode.topK, grid * grid * k));
    const cell = g.floorDiv(index, k);
    const classes = g.add(g.cast(g.floorMod(index, k), F), 1);
    const row = g.cast(g.floorDiv(cell, grid), F);
    const col = g.cast(g.floorMod(cell, grid), F);
    const d = g.gather(g.reshape(distances, [-1, 4]), cell, 0);
    const part = (i: number) => g.gather(d, g.operand([i], I), 1);
    const cy = g.expandDims(g.mul(row, featureStride), 1);
    const cx = g.expandDims(g.mul(col, featureStride), 1);
    const clip = (v: Output, by: Output) => g.minimum(g.maximum(g.realDiv(v, by), 0), 1);
    const boxes = g.concat(
      [
        clip(g.sub(cy, part(1)), contentH),
        clip(g.sub(cx, part(0)), contentW),
        clip(g.add(cy, part(3)), contentH),
        clip(g.add(cx, part(2)), contentW),
      ],
      1,
    );
    const [selected] = g.nonMaxSuppression(boxes, scores, {
      maxOutputSize: decode.maxDetections,
      iouThreshold: decode.iouThreshold,
      scoreThreshold: decode.scoreThreshold,
    });
    // Pad to maxDetections, as TF OD API's exported models do; num_detections counts the real ones.
    const n = g.reshape(g.shape(selected), []);
    const missing = g.sub(g.operand(decode.maxDetections, I), n);
    const zero = g.operand(0, I);
    const pad2 = g.reshape(g.pack([zero, missing, zero, zero]), [2, 2]);
    const pad1 = g.reshape(g.pack([zero, missing]), [1, 2]);
    return {
      detection_boxes: g.expandDims(g.pad(g.gather(boxes, selected, 0), pad2), 0, "detection_boxes"),
      detection_scores: g.expandDims(g.pad(g.gather(scores, selected, 0), pad1), 0, "detection_scores"),
      detection_classes: g.expandDims(g.pad(g.gather(classes, selected, 0), pad1), 0, "detection_classes"),
      num_detections: g.expandDims(g.cast(n, F), 0, "num_detections"),
    };
  });
  const N = decode.maxDetections;
  return {
    graph: g.toGraphDef(),
    signature: {
      inputs: { input_tensor: { output: input, shape: [1, -1, -1, 3] } },
      outputs: {
        detection_boxes: { output: out.detection_boxes, shape: [1, N, 4] },
        detection_scores: { output: out.detection_scores, shape: [1, N] },
        detection_classes: { output: out.detection_classes, shape: [1, N] },
        num_detections: { output: out.num_detections, shape: [1] },
      },
    },
  };
}
