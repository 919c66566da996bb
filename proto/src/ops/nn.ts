// Convolution, pooling, bias and detection ops.
import { DataType } from "../gen/tensorflow/core/framework/types_pb.ts";
import { type AttrDef, type OpDef, out, T } from "./op-def.ts";

const conv: Record<string, AttrDef> = {
  T,
  strides: { kind: "list(int)" },
  padding: { kind: "string" },
  explicit_paddings: { kind: "list(int)", default: [] },
  data_format: { kind: "string", default: "NHWC" },
  dilations: { kind: "list(int)", default: [1, 1, 1, 1] },
};

export const nnOps: Record<string, OpDef> = {
  Conv2D: {
    inputs: ["input", "filter"],
    attrs: { ...conv, use_cudnn_on_gpu: { kind: "bool", default: true } },
    outputs: [out("T")],
  },
  DepthwiseConv2dNative: { inputs: ["input", "filter"], attrs: conv, outputs: [out("T")] },
  BiasAdd: {
    inputs: ["value", "bias"],
    attrs: { T, data_format: { kind: "string", default: "NHWC" } },
    outputs: [out("T")],
  },
  MaxPool: {
    inputs: ["input"],
    attrs: {
      T: { kind: "type", default: DataType.DT_FLOAT },
      ksize: { kind: "list(int)" },
      strides: { kind: "list(int)" },
      padding: { kind: "string" },
      explicit_paddings: { kind: "list(int)", default: [] },
      data_format: { kind: "string", default: "NHWC" },
    },
    outputs: [out("T")],
  },
  TopKV2: {
    inputs: ["input", "k"],
    attrs: {
      sorted: { kind: "bool", default: true },
      T,
      Tk: { kind: "type", default: DataType.DT_INT32 },
      index_type: { kind: "type", default: DataType.DT_INT32 },
    },
    outputs: [out("T"), out("index_type")],
  },
  NonMaxSuppressionV5: {
    inputs: ["boxes", "scores", "max_output_size", "iou_threshold", "score_threshold", "soft_nms_sigma"],
    attrs: {
      T: { kind: "type", default: DataType.DT_FLOAT },
      pad_to_max_output_size: { kind: "bool", default: false },
    },
    outputs: [{ type: DataType.DT_INT32 }, out("T"), { type: DataType.DT_INT32 }],
  },
};
