// Element-wise and reduction ops.
import { DataType } from "../gen/tensorflow/core/framework/types_pb.ts";
import { type OpDef, out, T } from "./op-def.ts";

const unary: OpDef = { inputs: ["x"], attrs: { T }, outputs: [out("T")] };
const binary: OpDef = { inputs: ["x", "y"], attrs: { T }, outputs: [out("T")] };
const compare: OpDef = { inputs: ["x", "y"], attrs: { T }, outputs: [{ type: DataType.DT_BOOL }] };
const reduction: OpDef = {
  inputs: ["input", "reduction_indices"],
  attrs: { T, Tidx: { kind: "type", default: DataType.DT_INT32 }, keep_dims: { kind: "bool", default: false } },
  outputs: [out("T")],
};

export const mathOps: Record<string, OpDef> = {
  Add: binary,
  AddV2: binary,
  Sub: binary,
  Mul: binary,
  RealDiv: binary,
  FloorDiv: binary,
  FloorMod: binary,
  Maximum: binary,
  Minimum: binary,
  Less: compare,
  Greater: compare,
  Equal: {
    inputs: ["x", "y"],
    attrs: { T, incompatible_shape_error: { kind: "bool", default: true } },
    outputs: [{ type: DataType.DT_BOOL }],
  },
  Exp: unary,
  Sqrt: unary,
  Floor: unary,
  Neg: unary,
  Sigmoid: unary,
  Relu: { inputs: ["features"], attrs: { T }, outputs: [out("T")] },
  Relu6: { inputs: ["features"], attrs: { T }, outputs: [out("T")] },
  Softmax: { inputs: ["logits"], attrs: { T }, outputs: [out("T")] },
  Max: reduction,
  Sum: reduction,
  Mean: reduction,
  ArgMax: {
    inputs: ["input", "dimension"],
    attrs: {
      T,
      Tidx: { kind: "type", default: DataType.DT_INT32 },
      output_type: { kind: "type", default: DataType.DT_INT64 },
    },
    outputs: [out("output_type")],
  },
  Cast: {
    inputs: ["x"],
    attrs: { SrcT: { kind: "type" }, DstT: { kind: "type" }, Truncate: { kind: "bool", default: false } },
    outputs: [out("DstT")],
  },
  Select: { inputs: ["condition", "t", "e"], attrs: { T }, outputs: [out("T")] },
  SelectV2: { inputs: ["condition", "t", "e"], attrs: { T }, outputs: [out("T")] },
  Range: {
    inputs: ["start", "limit", "delta"],
    attrs: { Tidx: { kind: "type", default: DataType.DT_INT32 } },
    outputs: [out("Tidx")],
  },
};
