// A small convolutional "detector" SavedModel built with proto/'s graph builder: the model
// signature of DESIGN.md (uint8 image of any size in; TF OD API outputs) over a real conv net with
// seeded random weights, so predictions depend on the pixels. `batch: -1` frees the batch
// dimension, which server-side batching needs.
import { GraphBuilder, type Output } from "@boxloop/proto/graph-builder";
import { writeSavedModel } from "@boxloop/proto/saved-model-writer";
import { DataType, tensor } from "@boxloop/proto/tensor";

export interface ConvDetectorOptions {
  seed?: number;
  /** 1 (the DESIGN.md signature) or -1 (any batch). @default 1 */
  batch?: 1 | -1;
  /** Side the image is resized to. @default 64 */
  inputSize?: number;
  /** Channels of the hidden convolutions. @default 8 */
  width?: number;
  /** Stride-2 convolutions; the detections are the (inputSize / 2^layers)² cells. @default 3 */
  layers?: number;
  files?: Record<string, string>;
}

function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export async function writeConvDetector(versionDir: string, o: ConvDetectorOptions = {}): Promise<void> {
  const rand = random(o.seed ?? 1);
  const size = o.inputSize ?? 64;
  const width = o.width ?? 8;
  const batch = o.batch ?? 1;
  const g = new GraphBuilder();
  const weights = (shape: number[], scale: number) =>
    g.constant(
      tensor(
        DataType.DT_FLOAT,
        shape,
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * scale),
      ),
    );
  const conv = (x: Output, cin: number, cout: number, k: number, stride: number) =>
    g.relu(
      g.biasAdd(
        g.conv2d(x, weights([k, k, cin, cout], 2 / Math.sqrt(k * k * cin)), {
          strides: [1, stride, stride, 1],
          padding: "SAME",
        }),
        weights([cout], 0.1),
      ),
    );
  const image = g.placeholder("input_tensor", DataType.DT_UINT8, [batch, -1, -1, 3]);
  const x = g.realDiv(g.resizeBilinear(g.cast(image, DataType.DT_FLOAT), [size, size]), 255);
  const layers = o.layers ?? 3;
  let h = conv(x, 3, width, 3, 2);
  for (let i = 1; i < layers; i++) h = conv(h, width, width, 3, 2);
  const side = size / 2 ** layers;
  if (!Number.isInteger(side)) throw new Error(`inputSize ${size} is not divisible by 2^${layers}`);
  const cells = side * side;
  const head = g.biasAdd(g.conv2d(h, weights([1, 1, width, 5], 1), { padding: "VALID" }), weights([5], 0.1));
  const flat = g.reshape(head, [-1, cells, 5]);
  // Boxes as centre ± half size, so every box is well formed ([ymin, xmin, ymax, xmax]).
  const centre = g.sigmoid(g.slice(flat, [0, 0, 0], [-1, -1, 2]));
  const half = g.mul(g.sigmoid(g.slice(flat, [0, 0, 2], [-1, -1, 2])), 0.25);
  const boxes = g.concat([g.sub(centre, half), g.add(centre, half)], 2, "detection_boxes");
  const scores = g.sigmoid(g.reshape(g.slice(flat, [0, 0, 4], [-1, -1, 1]), [-1, cells]), "detection_scores");
  const one = g.add(g.mul(scores, 0), 1);
  const classes = g.identity(one, "detection_classes");
  const count = g.sum(one, [1], false, "num_detections");
  await writeSavedModel(versionDir, {
    graph: g.toGraphDef(),
    signature: {
      inputs: { input_tensor: { output: image, shape: [batch, -1, -1, 3] } },
      outputs: {
        detection_boxes: { output: boxes, shape: [batch, cells, 4] },
        detection_scores: { output: scores, shape: [batch, cells] },
        detection_classes: { output: classes, shape: [batch, cells] },
        num_detections: { output: count, shape: [batch] },
      },
    },
    files: o.files ?? {},
  });
}
