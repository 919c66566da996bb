// Image ops.
import { DataType } from "../gen/tensorflow/core/framework/types_pb.ts";
import { type OpDef, T } from "./op-def.ts";

export const imageOps: Record<string, OpDef> = {
  ResizeBilinear: {
    inputs: ["images", "size"],
    attrs: {
      T,
      align_corners: { kind: "bool", default: false },
      half_pixel_centers: { kind: "bool", default: false },
    },
    // TensorFlow always resizes into float32, whatever the input type.
    outputs: [{ type: DataType.DT_FLOAT }],
  },
};
