// A small CenterNet-style detector with seeded random weights, built with the GraphDef builder:
// uint8 image -> convs -> class heatmap + box offsets -> top-k -> NMS -> TF OD API outputs.
import type { GraphBuilder, Output } from "../../proto/src/graph-builder.ts";
import type { SignatureSpec } from "../../proto/src/saved-model-writer.ts";
import { DataType, tensor } from "../../proto/src/tensor.ts";

/** Deterministic pseudo-random floats in [-scale, scale] (mulberry32). */
export function randomWeights(seed: number, n: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export function weight(g: GraphBuilder, name: string, shape: number[], seed: number, scale = 0.5): Output {
  const n = shape.reduce((a, b) => a * b, 1);
  return g.constant(tensor(DataType.DT_FLOAT, shape, randomWeights(seed, n, scale)), name);
}

/** Adds the detection head and decoding on top of `features` ([1,H,W,C] float); returns the signature outputs. */
export function addDetectionHead(
  g: GraphBuilder,
  features: Output,
  channels: number,
  grid: number,
  classes: number,
): SignatureSpec["outputs"] {
  const heat = g.scope("heatmap", () => {
    const c = g.conv2d(features, weight(g, "w", [1, 1, channels, classes], 11), { padding: "SAME" });
    return g.sigmoid(g.biasAdd(c, weight(g, "b", [classes], 12, 1)));
  });
  const offsets = g.scope("offsets", () => {
    const c = g.conv2d(features, weight(g, "w", [1, 1, channels, 4], 13), { padding: "SAME" });
    return g.sigmoid(g.biasAdd(c, weight(g, "b", [4], 14)));
  });
  return g.scope("decode", () => {
    const both = g.reshape(g.concat([heat, offsets], 3), [-1, classes + 4]);
    const scoresAll = g.reshape(g.slice(both, [0, 0], [-1, classes]), [-1]);
    const boxParams = g.slice(both, [0, classes], [-1, 4]);
    const [topScores, topIndices] = g.topK(scoresAll, 50);
    const cell = g.floorDiv(topIndices, classes);
    const cls = g.floorMod(topIndices, classes);
    const cy = g.realDiv(g.add(g.cast(g.floorDiv(cell, grid), DataType.DT_FLOAT), 0.5), grid);
    const cx = g.realDiv(g.add(g.cast(g.floorMod(cell, grid), DataType.DT_FLOAT), 0.5), grid);
    const centers = g.pack([cy, cx, cy, cx], 1);
    const off = g.gather(boxParams, cell, 0);
    const boxes = g.add(centers, g.mul(g.mul(off, [-0.25, -0.25, 0.25, 0.25]), 1));
    const [selected] = g.nonMaxSuppression(boxes, topScores, {
      maxOutputSize: 20,
      iouThreshold: 0.5,
      scoreThreshold: 0,
    });
    const detBoxes = g.expandDims(g.gather(boxes, selected, 0), 0, "detection_boxes");
    const detScores = g.expandDims(g.gather(topScores, selected, 0), 0, "detection_scores");
    const detClasses = g.expandDims(
      g.add(g.cast(g.gather(cls, selected, 0), DataType.DT_FLOAT), 1),
      0,
      "detection_classes",
    );
    const num = g.cast(g.shape(selected), DataType.DT_FLOAT, "num_detections");
    return {
      detection_boxes: { output: detBoxes, shape: [1, -1, 4] },
      detection_scores: { output: detScores, shape: [1, -1] },
      detection_classes: { output: detClasses, shape: [1, -1] },
      num_detections: { output: num, shape: [1] },
    };
  });
}

/** The whole small conv net of the interop test. */
export function buildSmallDetector(g: GraphBuilder): SignatureSpec {
  const input = g.placeholder("input_tensor", DataType.DT_UINT8, [1, -1, -1, 3]);
  const features = g.scope("backbone", () => {
    const x = g.mul(g.cast(input, DataType.DT_FLOAT), 1 / 255);
    const resized = g.resizeBilinear(x, [64, 64], { halfPixelCenters: true });
    const c1 = g.relu6(
      g.biasAdd(
        g.conv2d(resized, weight(g, "conv1/w", [3, 3, 3, 8], 1), { strides: [1, 2, 2, 1], padding: "SAME" }),
        weight(g, "conv1/b", [8], 2, 0.1),
      ),
    );
    const d1 = g.relu6(
      g.biasAdd(
        g.depthwiseConv2d(c1, weight(g, "dw1/w", [3, 3, 8, 1], 3), { padding: "SAME" }),
        weight(g, "dw1/b", [8], 4, 0.1),
      ),
    );
    return g.relu6(
      g.biasAdd(
        g.conv2d(d1, weight(g, "pw1/w", [1, 1, 8, 16], 5), { padding: "VALID" }),
        weight(g, "pw1/b", [16], 6, 0.1),
      ),
    );
  });
  const outputs = addDetectionHead(g, features, 16, 32, 2);
  return { inputs: { input_tensor: { output: input, shape: [1, -1, -1, 3] } }, outputs };
}
