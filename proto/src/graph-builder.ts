// A GraphDef builder: one typed helper per op boxloop uses. Each helper fills in the attrs that
// TensorFlow requires (dtypes from its inputs); op metadata lives in ./ops as data.
import { create } from "@bufbuild/protobuf";
import { type GraphDef, GraphDefSchema } from "./gen/tensorflow/core/framework/graph_pb.ts";
import { type NodeDef, NodeDefSchema } from "./gen/tensorflow/core/framework/node_def_pb.ts";
import { type AttrInput, attrValue, DataType, opDef, outputDtype } from "./ops/index.ts";
import { arrayTypeOf, type HostTensor, tensor } from "./tensor.ts";

/** One output of a node: `node:index` with its dtype. */
export interface Output {
  node: string;
  index: number;
  dtype: DataType;
}

/** A tensor name as signatures write it: `node:0`. */
export function tensorName(o: Output): string {
  return `${o.node}:${o.index}`;
}

/** A NodeDef input reference: `node` for output 0, else `node:index`. */
export function inputRef(o: Output): string {
  return o.index === 0 ? o.node : `${o.node}:${o.index}`;
}

/** A GraphDef producer version (TensorFlow 2.x graphs). */
export const graphProducer = 1994;

/** An operand: an Output, or numbers that become a Const of the needed dtype. */
export type Operand = Output | number | readonly number[];

export type Padding = "SAME" | "VALID";

export class GraphBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly byName = new Map<string, NodeDef>();
  /** TensorFlow's importer makes names unique case-insensitively, so "Equal" and "equal" would clash. */
  private readonly lowerNames = new Set<string>();
  private readonly prefixes: string[] = [];

  /** Runs `fn` with the names of nodes added inside it prefixed by `prefix/`. */
  scope<R>(prefix: string, fn: () => R): R {
    this.prefixes.push(prefix);
    try {
      return fn();
    } finally {
      this.prefixes.pop();
    }
  }

  /** A name not yet used in the graph, under the current scope. */
  uniqueName(base: string): string {
    const full = [...this.prefixes, base].join("/");
    if (!this.taken(full)) return full;
    for (let i = 1; ; i++) if (!this.taken(`${full}_${i}`)) return `${full}_${i}`;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  node(name: string): NodeDef {
    const n = this.byName.get(name);
    if (!n) throw new Error(`graph has no node ${name}`);
    return n;
  }

  /** Output `index` of an existing node. */
  output(name: string, index = 0): Output {
    return { node: name, index, dtype: outputDtype(this.node(name), index) };
  }

  /** Adds a node checked against the op table: unknown attrs and missing required attrs are errors. */
  op(op: string, inputs: (Output | Output[])[], attrs: Record<string, AttrInput>, name?: string): NodeDef {
    const def = opDef(op);
    const nodeName = name === undefined ? this.uniqueName(op) : [...this.prefixes, name].join("/");
    if (this.taken(nodeName))
      throw new Error(`graph already has a node named ${nodeName} (names are case-insensitive)`);
    if (inputs.length !== def.inputs.length) {
      throw new Error(`${op} ${nodeName}: takes ${def.inputs.length} inputs, got ${inputs.length}`);
    }
    const node = create(NodeDefSchema, { name: nodeName, op });
    for (const [i, input] of inputs.entries()) {
      const list = def.inputs[i]!.endsWith("*");
      if (list !== Array.isArray(input)) {
        throw new Error(`${op} ${nodeName}: input ${def.inputs[i]} must be ${list ? "a list" : "one tensor"}`);
      }
      for (const o of Array.isArray(input) ? input : [input]) node.input.push(inputRef(this.check(o)));
    }
    for (const [key, value] of Object.entries(attrs)) {
      const a = def.attrs[key];
      if (!a) throw new Error(`${op} ${nodeName}: TensorFlow's ${op} has no attr ${key}`);
      if (value === undefined) continue;
      node.attr[key] = attrValue(a.kind, value, `${op} ${nodeName} attr ${key}`);
    }
    for (const [key, a] of Object.entries(def.attrs)) {
      if (!("default" in a) && !node.attr[key]) throw new Error(`${op} ${nodeName}: attr ${key} is required`);
    }
    this.insert(node);
    return node;
  }

  /** Adds a ready NodeDef (e.g. an imported one) after checking that its inputs exist. */
  addNode(node: NodeDef): void {
    if (this.taken(node.name))
      throw new Error(`graph already has a node named ${node.name} (names are case-insensitive)`);
    for (const ref of node.input) {
      const name = ref.replace(/^\^/, "").replace(/:\d+$/, "");
      if (!this.byName.has(name)) throw new Error(`node ${node.name} reads ${ref}, which is not in the graph`);
    }
    this.insert(node);
  }

  toGraphDef(): GraphDef {
    return create(GraphDefSchema, { node: [...this.nodes], versions: { producer: graphProducer } });
  }

  private taken(name: string): boolean {
    return this.lowerNames.has(name.toLowerCase());
  }

  private insert(node: NodeDef): void {
    this.nodes.push(node);
    this.byName.set(node.name, node);
    this.lowerNames.add(node.name.toLowerCase());
  }

  private check(o: Output): Output {
    if (!this.byName.has(o.node)) throw new Error(`input ${tensorName(o)} is not in this graph`);
    return o;
  }

  private one(op: string, inputs: (Output | Output[])[], attrs: Record<string, AttrInput>, name?: string): Output {
    return this.output(this.op(op, inputs, attrs, name).name);
  }

  private outs(node: NodeDef, n: number): Output[] {
    return Array.from({ length: n }, (_, i) => this.output(node.name, i));
  }

  /** An Operand as an Output; plain numbers become a Const of `dtype`. */
  operand(v: Operand, dtype: DataType): Output {
    if (typeof v === "object" && "node" in v) return v;
    const values = typeof v === "number" ? [v] : [...v];
    const shape = typeof v === "number" ? [] : [values.length];
    const arr = new (arrayTypeOf(dtype))(values.length);
    values.forEach((x, i) => {
      arr[i] = typeof arr[0] === "bigint" ? BigInt(x) : x;
    });
    return this.constant(tensor(dtype, shape, arr));
  }

  // ---- graph inputs and constants

  placeholder(name: string, dtype: DataType, shape?: readonly number[]): Output {
    return this.one("Placeholder", [], { dtype, shape: shape ? [...shape] : null }, name);
  }

  constant(value: HostTensor, name?: string): Output {
    return this.one("Const", [], { value, dtype: value.dtype }, name);
  }

  identity(x: Output, name?: string): Output {
    return this.one("Identity", [x], { T: x.dtype }, name);
  }

  cast(x: Output, to: DataType, name?: string): Output {
    return this.one("Cast", [x], { SrcT: x.dtype, DstT: to }, name);
  }

  // ---- element-wise

  private binary(op: string, x: Output, y: Operand, name?: string): Output {
    return this.one(op, [x, this.operand(y, x.dtype)], { T: x.dtype }, name);
  }
  add(x: Output, y: Operand, name?: string): Output {
    return this.binary("AddV2", x, y, name);
  }
  sub(x: Output, y: Operand, name?: string): Output {
    return this.binary("Sub", x, y, name);
  }
  mul(x: Output, y: Operand, name?: string): Output {
    return this.binary("Mul", x, y, name);
  }
  realDiv(x: Output, y: Operand, name?: string): Output {
    return this.binary("RealDiv", x, y, name);
  }
  floorDiv(x: Output, y: Operand, name?: string): Output {
    return this.binary("FloorDiv", x, y, name);
  }
  floorMod(x: Output, y: Operand, name?: string): Output {
    return this.binary("FloorMod", x, y, name);
  }
  maximum(x: Output, y: Operand, name?: string): Output {
    return this.binary("Maximum", x, y, name);
  }
  minimum(x: Output, y: Operand, name?: string): Output {
    return this.binary("Minimum", x, y, name);
  }
  less(x: Output, y: Operand, name?: string): Output {
    return this.binary("Less", x, y, name);
  }
  greater(x: Output, y: Operand, name?: string): Output {
    return this.binary("Greater", x, y, name);
  }
  equal(x: Output, y: Operand, name?: string): Output {
    return this.binary("Equal", x, y, name);
  }

  private unary(op: string, x: Output, name?: string): Output {
    return this.one(op, [x], { T: x.dtype }, name);
  }
  relu(x: Output, name?: string): Output {
    return this.unary("Relu", x, name);
  }
  relu6(x: Output, name?: string): Output {
    return this.unary("Relu6", x, name);
  }
  sigmoid(x: Output, name?: string): Output {
    return this.unary("Sigmoid", x, name);
  }
  exp(x: Output, name?: string): Output {
    return this.unary("Exp", x, name);
  }
  sqrt(x: Output, name?: string): Output {
    return this.unary("Sqrt", x, name);
  }
  floor(x: Output, name?: string): Output {
    return this.unary("Floor", x, name);
  }
  neg(x: Output, name?: string): Output {
    return this.unary("Neg", x, name);
  }
  softmax(x: Output, name?: string): Output {
    return this.unary("Softmax", x, name);
  }
  zerosLike(x: Output, name?: string): Output {
    return this.unary("ZerosLike", x, name);
  }

  select(condition: Output, t: Output, e: Output, name?: string): Output {
    return this.one("Select", [condition, t, e], { T: t.dtype }, name);
  }
  selectV2(condition: Output, t: Output, e: Output, name?: string): Output {
    return this.one("SelectV2", [condition, t, e], { T: t.dtype }, name);
  }

  // ---- reductions

  private reduce(op: string, x: Output, axes: Operand, keepDims: boolean, name?: string): Output {
    return this.one(op, [x, this.operand(axes, DataType.DT_INT32)], { T: x.dtype, keep_dims: keepDims }, name);
  }
  max(x: Output, axes: Operand, keepDims = false, name?: string): Output {
    return this.reduce("Max", x, axes, keepDims, name);
  }
  sum(x: Output, axes: Operand, keepDims = false, name?: string): Output {
    return this.reduce("Sum", x, axes, keepDims, name);
  }
  mean(x: Output, axes: Operand, keepDims = false, name?: string): Output {
    return this.reduce("Mean", x, axes, keepDims, name);
  }
  argMax(x: Output, axis: Operand, outputType: DataType = DataType.DT_INT64, name?: string): Output {
    return this.one(
      "ArgMax",
      [x, this.operand(axis, DataType.DT_INT32)],
      { T: x.dtype, output_type: outputType },
      name,
    );
  }

  // ---- convolution and pooling

  conv2d(
    x: Output,
    filter: Output,
    o: { strides?: number[]; padding: Padding; dilations?: number[] },
    name?: string,
  ): Output {
    const attrs = { T: x.dtype, strides: o.strides ?? [1, 1, 1, 1], padding: o.padding, dilations: o.dilations };
    return this.one("Conv2D", [x, filter], attrs, name);
  }

  depthwiseConv2d(
    x: Output,
    filter: Output,
    o: { strides?: number[]; padding: Padding; dilations?: number[] },
    name?: string,
  ): Output {
    const attrs = { T: x.dtype, strides: o.strides ?? [1, 1, 1, 1], padding: o.padding, dilations: o.dilations };
    return this.one("DepthwiseConv2dNative", [x, filter], attrs, name);
  }

  biasAdd(x: Output, bias: Output, name?: string): Output {
    return this.one("BiasAdd", [x, bias], { T: x.dtype }, name);
  }

  maxPool(x: Output, o: { ksize: number[]; strides: number[]; padding: Padding }, name?: string): Output {
    return this.one("MaxPool", [x], { T: x.dtype, ksize: o.ksize, strides: o.strides, padding: o.padding }, name);
  }

  resizeBilinear(
    images: Output,
    size: Operand,
    o: { alignCorners?: boolean; halfPixelCenters?: boolean } = {},
    name?: string,
  ): Output {
    const attrs = { T: images.dtype, align_corners: o.alignCorners, half_pixel_centers: o.halfPixelCenters };
    return this.one("ResizeBilinear", [images, this.operand(size, DataType.DT_INT32)], attrs, name);
  }

  // ---- shapes

  concat(values: Output[], axis: Operand, name?: string): Output {
    const attrs = { N: values.length, T: values[0]!.dtype };
    return this.one("ConcatV2", [values, this.operand(axis, DataType.DT_INT32)], attrs, name);
  }

  pack(values: Output[], axis = 0, name?: string): Output {
    return this.one("Pack", [values], { N: values.length, T: values[0]!.dtype, axis }, name);
  }

  reverse(x: Output, axes: number[], name?: string): Output {
    return this.one("ReverseV2", [x, this.operand(axes, DataType.DT_INT32)], { T: x.dtype }, name);
  }

  reshape(x: Output, shape: Operand, name?: string): Output {
    return this.one("Reshape", [x, this.operand(shape, DataType.DT_INT32)], { T: x.dtype }, name);
  }

  transpose(x: Output, perm: Operand, name?: string): Output {
    return this.one("Transpose", [x, this.operand(perm, DataType.DT_INT32)], { T: x.dtype }, name);
  }

  squeeze(x: Output, axes: number[] = [], name?: string): Output {
    return this.one("Squeeze", [x], { T: x.dtype, squeeze_dims: axes }, name);
  }

  expandDims(x: Output, axis: Operand, name?: string): Output {
    return this.one("ExpandDims", [x, this.operand(axis, DataType.DT_INT32)], { T: x.dtype }, name);
  }

  shape(x: Output, outType: DataType = DataType.DT_INT32, name?: string): Output {
    return this.one("Shape", [x], { T: x.dtype, out_type: outType }, name);
  }

  stridedSlice(
    x: Output,
    begin: Operand,
    end: Operand,
    strides: Operand,
    masks: { begin?: number; end?: number; ellipsis?: number; newAxis?: number; shrinkAxis?: number } = {},
    name?: string,
  ): Output {
    const i32 = DataType.DT_INT32;
    const inputs = [x, this.operand(begin, i32), this.operand(end, i32), this.operand(strides, i32)];
    const attrs = {
      T: x.dtype,
      Index: i32,
      begin_mask: masks.begin,
      end_mask: masks.end,
      ellipsis_mask: masks.ellipsis,
      new_axis_mask: masks.newAxis,
      shrink_axis_mask: masks.shrinkAxis,
    };
    return this.one("StridedSlice", inputs, attrs, name);
  }

  slice(x: Output, begin: Operand, size: Operand, name?: string): Output {
    const i32 = DataType.DT_INT32;
    const inputs = [x, this.operand(begin, i32), this.operand(size, i32)];
    return this.one("Slice", inputs, { T: x.dtype, Index: i32 }, name);
  }

  gather(params: Output, indices: Output, axis: Operand, batchDims = 0, name?: string): Output {
    const a = this.operand(axis, DataType.DT_INT32);
    const attrs = { Tparams: params.dtype, Tindices: indices.dtype, Taxis: a.dtype, batch_dims: batchDims };
    return this.one("GatherV2", [params, indices, a], attrs, name);
  }

  pad(x: Output, paddings: Output, name?: string): Output {
    return this.one("Pad", [x, paddings], { T: x.dtype, Tpaddings: paddings.dtype }, name);
  }

  fill(dims: Operand, value: Output, name?: string): Output {
    return this.one("Fill", [this.operand(dims, DataType.DT_INT32), value], { T: value.dtype }, name);
  }

  tile(x: Output, multiples: Operand, name?: string): Output {
    return this.one("Tile", [x, this.operand(multiples, DataType.DT_INT32)], { T: x.dtype }, name);
  }

  where(condition: Output, name?: string): Output {
    return this.one("Where", [condition], { T: condition.dtype }, name);
  }

  range(start: Operand, limit: Operand, delta: Operand, dtype: DataType = DataType.DT_INT32, name?: string): Output {
    const inputs = [this.operand(start, dtype), this.operand(limit, dtype), this.operand(delta, dtype)];
    return this.one("Range", inputs, { Tidx: dtype }, name);
  }

  // ---- detection

  /** [values, indices] of the k largest entries along the last axis. */
  topK(x: Output, k: Operand, sorted = true, name?: string): [Output, Output] {
    const node = this.op("TopKV2", [x, this.operand(k, DataType.DT_INT32)], { T: x.dtype, sorted }, name);
    return this.outs(node, 2) as [Output, Output];
  }

  /** [selected_indices, selected_scores, valid_outputs]; boxes are [N,4], scores [N]. */
  nonMaxSuppression(
    boxes: Output,
    scores: Output,
    o: { maxOutputSize: Operand; iouThreshold: Operand; scoreThreshold: Operand; softNmsSigma?: Operand },
    name?: string,
  ): [Output, Output, Output] {
    const f = scores.dtype;
    const inputs = [
      boxes,
      scores,
      this.operand(o.maxOutputSize, DataType.DT_INT32),
      this.operand(o.iouThreshold, f),
      this.operand(o.scoreThreshold, f),
      this.operand(o.softNmsSigma ?? 0, f),
    ];
    const node = this.op("NonMaxSuppressionV5", inputs, { T: f }, name);
    return this.outs(node, 3) as [Output, Output, Output];
  }
}
