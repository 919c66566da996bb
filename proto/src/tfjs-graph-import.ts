// Imports a TensorFlow.js graph model (model.json + weight bytes) into a GraphBuilder, so that a
// pretrained network can be embedded in the exported SavedModel. Quantized weights (fp16, uint8,
// uint16) become float32 Consts; tfjs/grappler fused convolutions are split back into the plain
// TensorFlow ops (Conv2D/DepthwiseConv2dNative + BiasAdd + activation) that TF Serving runs.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { z } from "zod";
import { type AttrValue, AttrValueSchema } from "./gen/tensorflow/core/framework/attr_value_pb.ts";
import { GraphDefSchema } from "./gen/tensorflow/core/framework/graph_pb.ts";
import { type NodeDef, NodeDefSchema } from "./gen/tensorflow/core/framework/node_def_pb.ts";
import { type GraphBuilder, inputRef, type Output } from "./graph-builder.ts";
import { attrValue, opDef, opDefs } from "./ops/index.ts";
import { DataType, type HostTensor, halfToFloat32, toTensorProto } from "./tensor.ts";

const weightEntry = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(["float32", "int32", "bool", "string"]),
  quantization: z
    .object({
      dtype: z.enum(["float16", "uint8", "uint16"]),
      scale: z.number().optional(),
      min: z.number().optional(),
    })
    .optional(),
});

export const tfjsModelJsonSchema = z.object({
  format: z.string().optional(),
  modelTopology: z.object({ node: z.array(z.looseObject({ name: z.string(), op: z.string() })) }).loose(),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(weightEntry) })),
});

export type TfjsModelJson = z.infer<typeof tfjsModelJsonSchema>;

export interface TfjsGraphFiles {
  modelJson: TfjsModelJson;
  /** All weight shards concatenated in manifest order. */
  weightData: Uint8Array;
}

/** Reads model.json and its weight shards from disk. */
export async function readTfjsGraphModel(modelJsonPath: string): Promise<TfjsGraphFiles> {
  const parsed = tfjsModelJsonSchema.safeParse(JSON.parse(await readFile(modelJsonPath, "utf8")));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${modelJsonPath} is not a TensorFlow.js graph model: ${issue.path.join(".")}: ${issue.message}`);
  }
  const shards = await Promise.all(
    parsed.data.weightsManifest.flatMap((g) => g.paths.map((p) => readFile(join(dirname(modelJsonPath), p)))),
  );
  return { modelJson: parsed.data, weightData: new Uint8Array(Buffer.concat(shards)) };
}

export interface ImportOptions {
  /** Prefix for every imported node name (e.g. "backbone"). */
  prefix?: string;
  /** Graph inputs of the imported model (Placeholder names) bound to outputs already in the builder. */
  inputs?: Record<string, Output>;
  /**
   * Node names whose values are needed: only they and what they depend on are imported. TensorFlow
   * checks shapes over the whole graph, so parts unused at another input size must be left out.
   * Default: every node.
   */
  outputs?: string[];
  /** Lets the caller change a weight, e.g. a constant resize target for another input size. */
  patchConst?: (name: string, value: HostTensor) => HostTensor;
}

export interface ImportedGraph {
  /** The builder output for a node of the imported model, by its original name. */
  output(name: string, index?: number): Output;
  /** Original names of the imported model's Placeholders that were not bound. */
  placeholders: string[];
}

export function importTfjsGraphModel(g: GraphBuilder, files: TfjsGraphFiles, o: ImportOptions = {}): ImportedGraph {
  const { modelJson, weightData } = files;
  const graph = fromJson(GraphDefSchema, modelJson.modelTopology as JsonValue, { ignoreUnknownFields: true });
  const weights = decodeWeights(modelJson, weightData);
  const rename = (name: string) => (o.prefix ? `${o.prefix}/${name}` : name);
  const bound = o.inputs ?? {};
  const remap = (ref: string): string => {
    const control = ref.startsWith("^");
    const [name, index] = splitRef(control ? ref.slice(1) : ref);
    const input = bound[name];
    if (input) {
      if (control) throw new Error(`a control input to bound placeholder ${name} is not supported`);
      return inputRef({ ...input, index: input.index + index });
    }
    return `${control ? "^" : ""}${rename(name)}${index ? `:${index}` : ""}`;
  };

  const needed = o.outputs ? ancestors(graph.node, o.outputs) : undefined;
  const nodes: NodeDef[] = [];
  for (const raw of graph.node) {
    if (needed && !needed.has(raw.name)) continue;
    if (bound[raw.name]) {
      if (raw.op !== "Placeholder") throw new Error(`input ${raw.name} is a ${raw.op}, not a Placeholder`);
      continue;
    }
    const node = create(NodeDefSchema, { name: raw.name, op: raw.op, input: raw.input });
    for (const [k, v] of Object.entries(raw.attr)) if (!k.startsWith("_")) node.attr[k] = v;
    if (node.op === "Const") node.attr.value = constValue(node, weights, o.patchConst);
    nodes.push(...unfuse(node));
  }
  for (const name of Object.keys(bound)) {
    if (!graph.node.some((n) => n.name === name)) throw new Error(`the model has no input ${name}`);
  }
  const unsupported = [...new Set(nodes.map((n) => n.op).filter((op) => !opDefs[op]))];
  if (unsupported.length > 0) {
    throw new Error(`the model uses ops boxloop's op table lacks: ${unsupported.sort().join(", ")}`);
  }
  for (const node of topologicalOrder(nodes)) {
    g.addNode(create(NodeDefSchema, { ...node, name: rename(node.name), input: node.input.map(remap) }));
  }
  return {
    output: (name, index = 0) => {
      const input = bound[name];
      return input ? { ...input, index: input.index + index } : g.output(rename(name), index);
    },
    placeholders: nodes.filter((n) => n.op === "Placeholder").map((n) => n.name),
  };
}

function splitRef(ref: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? [m[1]!, Number(m[2])] : [ref, 0];
}

/** Decodes every weight to float32/int32/bool host values, widening quantized ones. */
function decodeWeights(model: TfjsModelJson, data: Uint8Array): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  const take = (n: number, name: string) => {
    if (offset + n > data.length) throw new Error(`weight data ends inside ${name} (needs ${offset + n} bytes)`);
    const bytes = new Uint8Array(data.subarray(offset, offset + n)); // a copy, aligned at 0
    offset += n;
    return bytes;
  };
  for (const w of model.weightsManifest.flatMap((g) => g.weights)) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const q = w.quantization;
    let t: HostTensor;
    if (w.dtype === "string") {
      const values: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        const len = view.getUint32(offset, true);
        offset += 4;
        values.push(take(len, w.name));
      }
      t = { dtype: DataType.DT_STRING, shape: w.shape, values };
    } else if (q?.dtype === "float16") {
      t = {
        dtype: DataType.DT_FLOAT,
        shape: w.shape,
        values: halfToFloat32(new Uint16Array(take(2 * n, w.name).buffer)),
      };
    } else if (q) {
      if (q.scale === undefined || q.min === undefined)
        throw new Error(`weight ${w.name}: ${q.dtype} needs scale and min`);
      const raw = q.dtype === "uint8" ? take(n, w.name) : new Uint16Array(take(2 * n, w.name).buffer);
      const values = Float32Array.from(raw, (v) => v * q.scale! + q.min!);
      t =
        w.dtype === "int32"
          ? { dtype: DataType.DT_INT32, shape: w.shape, values: Int32Array.from(values, Math.round) }
          : { dtype: DataType.DT_FLOAT, shape: w.shape, values };
    } else if (w.dtype === "bool") {
      t = { dtype: DataType.DT_BOOL, shape: w.shape, values: take(n, w.name) };
    } else {
      const bytes = take(4 * n, w.name).buffer;
      t =
        w.dtype === "int32"
          ? { dtype: DataType.DT_INT32, shape: w.shape, values: new Int32Array(bytes) }
          : { dtype: DataType.DT_FLOAT, shape: w.shape, values: new Float32Array(bytes) };
    }
    out.set(w.name, t);
  }
  if (offset !== data.length)
    throw new Error(`weight data has ${data.length - offset} bytes the manifest does not describe`);
  return out;
}

/** A Const's value: its weight, converted to the dtype the node declares. */
function constValue(node: NodeDef, weights: Map<string, HostTensor>, patch: ImportOptions["patchConst"]): AttrValue {
  let t = weights.get(node.name);
  if (!t) throw new Error(`Const ${node.name} has no weight in the manifest`);
  const declared = node.attr.dtype?.value;
  if (declared?.case === "type" && declared.value !== t.dtype) t = convert(t, declared.value, node.name);
  if (patch) t = patch(node.name, t);
  return create(AttrValueSchema, { value: { case: "tensor", value: toTensorProto(t) } });
}

function convert(t: HostTensor, dtype: DataType, name: string): HostTensor {
  const src = t.values as Float32Array | Int32Array | Uint8Array;
  switch (dtype) {
    case DataType.DT_INT64:
      return { dtype, shape: t.shape, values: BigInt64Array.from(src, (v) => BigInt(Math.round(v))) };
    case DataType.DT_INT32:
      return { dtype, shape: t.shape, values: Int32Array.from(src, Math.round) };
    case DataType.DT_FLOAT:
      return { dtype, shape: t.shape, values: Float32Array.from(src) };
    case DataType.DT_UINT8:
      return { dtype, shape: t.shape, values: Uint8Array.from(src) };
    default:
      throw new Error(`Const ${name}: cannot convert its weight to ${DataType[dtype]}`);
  }
}

const activations: Record<string, string> = { Relu: "Relu", Relu6: "Relu6", Sigmoid: "Sigmoid" };

/** Splits _FusedConv2D / FusedDepthwiseConv2dNative into conv + BiasAdd (+ activation); other nodes pass. */
function unfuse(node: NodeDef): NodeDef[] {
  const conv = { _FusedConv2D: "Conv2D", FusedDepthwiseConv2dNative: "DepthwiseConv2dNative" }[node.op];
  if (!conv) return [node];
  const fused = node.attr.fused_ops?.value;
  const ops = fused?.case === "list" ? fused.value.s.map((s) => new TextDecoder().decode(s)) : [];
  const [first, activation, ...rest] = ops;
  if (first !== "BiasAdd" || rest.length > 0 || (activation && !activations[activation]) || node.input.length !== 3) {
    throw new Error(
      `${node.op} ${node.name} fuses [${ops.join(", ")}]; only BiasAdd (+ Relu, Relu6, Sigmoid) is supported`,
    );
  }
  const keep = Object.keys(opDef(conv).attrs);
  const attr = Object.fromEntries(Object.entries(node.attr).filter(([k]) => keep.includes(k)));
  const T = node.attr.T!;
  const convNode = create(NodeDefSchema, {
    name: `${node.name}/unfused_conv`,
    op: conv,
    input: node.input.slice(0, 2),
    attr,
  });
  const biasName = activation ? `${node.name}/unfused_bias` : node.name;
  const format = node.attr.data_format ?? attrValue("string", "NHWC");
  const bias = create(NodeDefSchema, {
    name: biasName,
    op: "BiasAdd",
    input: [convNode.name, node.input[2]!],
    attr: { T, data_format: format },
  });
  if (!activation) return [convNode, bias];
  return [
    convNode,
    bias,
    create(NodeDefSchema, { name: node.name, op: activations[activation]!, input: [biasName], attr: { T } }),
  ];
}

/** The named nodes and every node they read, directly or not. */
function ancestors(nodes: NodeDef[], outputs: string[]): Set<string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  const stack = outputs.map((name) => {
    if (!byName.has(name)) throw new Error(`the model has no node ${name}`);
    return name;
  });
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const ref of byName.get(name)?.input ?? []) stack.push(splitRef(ref.replace(/^\^/, ""))[0]);
  }
  return seen;
}

function topologicalOrder(nodes: NodeDef[]): NodeDef[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const order: NodeDef[] = [];
  const visiting = new Set<string>();
  const visit = (n: NodeDef) => {
    if (done.has(n.name)) return;
    if (visiting.has(n.name)) throw new Error(`the graph has a cycle through ${n.name}`);
    visiting.add(n.name);
    for (const ref of n.input) {
      const dep = byName.get(splitRef(ref.replace(/^\^/, ""))[0]);
      if (dep) visit(dep);
    }
    visiting.delete(n.name);
    done.add(n.name);
    order.push(n);
  };
  for (const n of nodes) visit(n);
  return order;
}
