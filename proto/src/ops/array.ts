// Graph plumbing, constants and shape manipulation.
import { DataType } from "../gen/tensorflow/core/framework/types_pb.ts";
import { type OpDef, out, T } from "./op-def.ts";

const int32 = (): { kind: "type"; default: DataType } => ({ kind: "type", default: DataType.DT_INT32 });

export const arrayOps: Record<string, OpDef> = {
  Placeholder: {
    inputs: [],
    attrs: { dtype: { kind: "type" }, shape: { kind: "shape", default: null } },
    outputs: [out("dtype")],
  },
  Const: { inputs: [], attrs: { value: { kind: "tensor" }, dtype: { kind: "type" } }, outputs: [out("dtype")] },
  Identity: { inputs: ["input"], attrs: { T }, outputs: [out("T")] },
  ConcatV2: {
    inputs: ["values*", "axis"],
    attrs: { N: { kind: "int" }, T, Tidx: int32() },
    outputs: [out("T")],
  },
  Pack: {
    inputs: ["values*"],
    attrs: { N: { kind: "int" }, T, axis: { kind: "int", default: 0 } },
    outputs: [out("T")],
  },
  Reshape: { inputs: ["tensor", "shape"], attrs: { T, Tshape: int32() }, outputs: [out("T")] },
  Transpose: { inputs: ["x", "perm"], attrs: { T, Tperm: int32() }, outputs: [out("T")] },
  Squeeze: {
    inputs: ["input"],
    attrs: { T, squeeze_dims: { kind: "list(int)", default: [] } },
    outputs: [out("T")],
  },
  ExpandDims: { inputs: ["input", "dim"], attrs: { T, Tdim: int32() }, outputs: [out("T")] },
  Shape: { inputs: ["input"], attrs: { T, out_type: int32() }, outputs: [out("out_type")] },
  StridedSlice: {
    inputs: ["input", "begin", "end", "strides"],
    attrs: {
      T,
      Index: { kind: "type" },
      begin_mask: { kind: "int", default: 0 },
      end_mask: { kind: "int", default: 0 },
      ellipsis_mask: { kind: "int", default: 0 },
      new_axis_mask: { kind: "int", default: 0 },
      shrink_axis_mask: { kind: "int", default: 0 },
    },
    outputs: [out("T")],
  },
  Slice: { inputs: ["input", "begin", "size"], attrs: { T, Index: { kind: "type" } }, outputs: [out("T")] },
  GatherV2: {
    inputs: ["params", "indices", "axis"],
    attrs: {
      batch_dims: { kind: "int", default: 0 },
      Tparams: { kind: "type" },
      Tindices: { kind: "type" },
      Taxis: { kind: "type" },
    },
    outputs: [out("Tparams")],
  },
  ReverseV2: { inputs: ["tensor", "axis"], attrs: { Tidx: int32(), T }, outputs: [out("T")] },
  Pad: { inputs: ["input", "paddings"], attrs: { T, Tpaddings: int32() }, outputs: [out("T")] },
  Fill: { inputs: ["dims", "value"], attrs: { T, index_type: int32() }, outputs: [out("T")] },
  ZerosLike: { inputs: ["x"], attrs: { T }, outputs: [out("T")] },
  Where: {
    inputs: ["input"],
    attrs: { T: { kind: "type", default: DataType.DT_BOOL } },
    outputs: [{ type: DataType.DT_INT64 }],
  },
  Tile: { inputs: ["input", "multiples"], attrs: { T, Tmultiples: int32() }, outputs: [out("T")] },
};
