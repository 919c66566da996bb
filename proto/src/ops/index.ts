// The op registry, and the attr rules built on it: converting plain values to AttrValues, filling
// in and stripping TensorFlow's defaults, and reading an output's dtype.
import { create, equals } from "@bufbuild/protobuf";
import { type AttrValue, AttrValueSchema } from "../gen/tensorflow/core/framework/attr_value_pb.ts";
import { type NodeDef, NodeDefSchema } from "../gen/tensorflow/core/framework/node_def_pb.ts";
import { DataType } from "../gen/tensorflow/core/framework/types_pb.ts";
import { type HostTensor, shapeProto, toTensorProto } from "../tensor.ts";
import { arrayOps } from "./array.ts";
import { imageOps } from "./image.ts";
import { mathOps } from "./math.ts";
import { nnOps } from "./nn.ts";
import type { AttrDef, AttrKind, OpDef } from "./op-def.ts";

export type { AttrDef, AttrKind, OpDef } from "./op-def.ts";

export const opDefs: Readonly<Record<string, OpDef>> = { ...arrayOps, ...mathOps, ...nnOps, ...imageOps };

/** A plain value for an attr of the given kind. */
export type AttrInput = DataType | number | boolean | string | number[] | DataType[] | HostTensor | null | undefined;

export function opDef(op: string): OpDef {
  const def = opDefs[op];
  if (!def) throw new Error(`op ${op} is not in boxloop's op table (proto/src/ops)`);
  return def;
}

/** Converts a plain value to an AttrValue according to `kind`. */
export function attrValue(kind: AttrKind, value: AttrInput, what = "attr"): AttrValue {
  const bad = () => new Error(`${what}: ${JSON.stringify(value)} is not a valid ${kind}`);
  switch (kind) {
    case "type":
      if (typeof value !== "number" || !Number.isInteger(value)) throw bad();
      return create(AttrValueSchema, { value: { case: "type", value } });
    case "int":
      if (typeof value !== "number" || !Number.isInteger(value)) throw bad();
      return create(AttrValueSchema, { value: { case: "i", value: BigInt(value) } });
    case "float":
      if (typeof value !== "number") throw bad();
      return create(AttrValueSchema, { value: { case: "f", value } });
    case "bool":
      if (typeof value !== "boolean") throw bad();
      return create(AttrValueSchema, { value: { case: "b", value } });
    case "string":
      if (typeof value !== "string") throw bad();
      return create(AttrValueSchema, { value: { case: "s", value: new TextEncoder().encode(value) } });
    case "shape":
      if (value !== null && value !== undefined && !Array.isArray(value)) throw bad();
      return create(AttrValueSchema, { value: { case: "shape", value: shapeProto(value ?? undefined) } });
    case "list(int)":
      if (!Array.isArray(value) || !value.every(Number.isInteger)) throw bad();
      return create(AttrValueSchema, { value: { case: "list", value: { i: value.map((v) => BigInt(v)) } } });
    case "list(type)":
      if (!Array.isArray(value) || !value.every(Number.isInteger)) throw bad();
      return create(AttrValueSchema, { value: { case: "list", value: { type: value as DataType[] } } });
    case "tensor":
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw bad();
      return create(AttrValueSchema, { value: { case: "tensor", value: toTensorProto(value) } });
  }
}

const defaultCache = new Map<AttrDef, AttrValue>();

/** TensorFlow's default for an attr, as an AttrValue, or undefined when the attr is required. */
export function defaultAttr(def: AttrDef): AttrValue | undefined {
  if (!("default" in def)) return undefined;
  let v = defaultCache.get(def);
  if (!v) {
    v = attrValue(def.kind, def.default);
    defaultCache.set(def, v);
  }
  return v;
}

/** A copy of `node` with every missing default attr of a known op filled in (what TensorFlow.js needs). */
export function withDefaultAttrs(node: NodeDef): NodeDef {
  const def = opDefs[node.op];
  if (!def) return node;
  const attr = { ...node.attr };
  for (const [name, a] of Object.entries(def.attrs)) {
    const d = defaultAttr(a);
    if (attr[name] === undefined && d) attr[name] = d;
  }
  return create(NodeDefSchema, { ...node, attr });
}

/** A copy of `node` without attrs equal to TensorFlow's defaults (what a SavedModel should hold). */
export function withoutDefaultAttrs(node: NodeDef): NodeDef {
  const def = opDefs[node.op];
  if (!def) return node;
  const attr: Record<string, AttrValue> = {};
  for (const [name, value] of Object.entries(node.attr)) {
    const a = def.attrs[name];
    const d = a && defaultAttr(a);
    if (!(d && equals(AttrValueSchema, d, value))) attr[name] = value;
  }
  return create(NodeDefSchema, { ...node, attr });
}

/** The dtype of output `index` of `node`. */
export function outputDtype(node: NodeDef, index: number): DataType {
  const def = opDef(node.op);
  const o = def.outputs[index];
  if (!o) throw new Error(`${node.op} node ${node.name} has no output ${index}`);
  if ("type" in o) return o.type;
  const v = node.attr[o.typeAttr]?.value;
  if (v?.case === "type") return v.value;
  const d = def.attrs[o.typeAttr];
  if (d && typeof d.default === "number") return d.default;
  throw new Error(`${node.op} node ${node.name} lacks the type attr ${o.typeAttr}`);
}

export { DataType };
