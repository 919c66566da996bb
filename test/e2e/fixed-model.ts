// A SavedModel that "detects" the same boxes in every image: TF OD API outputs built from constants
// (scores pass through the input so the graph uses it). It lets a browser test know exactly which
// suggestion the served model will make.
import { GraphBuilder } from "@boxloop/proto/graph-builder";
import { writeSavedModel } from "@boxloop/proto/saved-model-writer";
import { DataType, tensor } from "@boxloop/proto/tensor";

export interface FixedDetection {
  /** Normalized, as the TF OD API: [ymin, xmin, ymax, xmax]. */
  box: [number, number, number, number];
  score: number;
  /** 1-based class id. */
  classId: number;
}

export async function writeFixedModel(
  versionDir: string,
  detections: FixedDetection[],
  files: Record<string, string> = {},
) {
  const g = new GraphBuilder();
  const n = detections.length;
  const image = g.placeholder("input_tensor", DataType.DT_UINT8, [1, -1, -1, 3]);
  // 0 × mean(image): the same for every image, but computed from the input.
  const zero = g.mul(g.mean(g.cast(image, DataType.DT_FLOAT), [0, 1, 2, 3]), 0);
  const f32 = (shape: number[], values: number[]) =>
    g.constant(tensor(DataType.DT_FLOAT, shape, Float32Array.from(values)));
  const boxes = g.identity(
    f32(
      [1, n, 4],
      detections.flatMap((d) => d.box),
    ),
    "detection_boxes",
  );
  const scores = g.add(
    f32(
      [1, n],
      detections.map((d) => d.score),
    ),
    zero,
    "detection_scores",
  );
  const classes = g.identity(
    f32(
      [1, n],
      detections.map((d) => d.classId),
    ),
    "detection_classes",
  );
  const count = g.identity(f32([1], [n]), "num_detections");
  await writeSavedModel(versionDir, {
    graph: g.toGraphDef(),
    signature: {
      inputs: { input_tensor: { output: image, shape: [1, -1, -1, 3] } },
      outputs: {
        detection_boxes: { output: boxes, shape: [1, n, 4] },
        detection_scores: { output: scores, shape: [1, n] },
        detection_classes: { output: classes, shape: [1, n] },
        num_detections: { output: count, shape: [1] },
      },
    },
    files,
  });
}
