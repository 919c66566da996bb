// The shape of an op's metadata: its inputs, attrs (with TensorFlow's defaults) and output dtypes.
// Defaults must equal TensorFlow's op registry: they decide which attrs the SavedModel may omit
// and which TensorFlow.js must be given.
import type { DataType } from "../gen/tensorflow/core/framework/types_pb.ts";

export type AttrKind = "type" | "int" | "float" | "bool" | "string" | "shape" | "tensor" | "list(int)" | "list(type)";

export interface AttrDef {
  kind: AttrKind;
  /** TensorFlow's default; absent means the attr is required. `null` for a shape means unknown rank. */
  default?: DataType | number | boolean | string | number[] | null;
}

/** An output's dtype: read from a type attr, or fixed. */
export type OutputDef = { typeAttr: string } | { type: DataType };

export interface OpDef {
  /** Input names; a trailing `*` marks a list input whose length is the attr `N`. */
  inputs: string[];
  attrs: Record<string, AttrDef>;
  outputs: OutputDef[];
}

export const T: AttrDef = { kind: "type" };
export const out = (typeAttr: string): OutputDef => ({ typeAttr });
