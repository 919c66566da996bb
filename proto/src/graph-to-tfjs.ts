// GraphDef -> in-memory TensorFlow.js GraphModel, so the local model server runs exactly the graph
// that TF Serving runs. Const nodes become the weights; every known op gets TensorFlow's default
// attrs back (tfjs-converter crashes on a Conv2D without `dilations`).
import { create, toJson } from "@bufbuild/protobuf";
import { type GraphModel, loadGraphModel } from "@tensorflow/tfjs-converter";
import type * as tf from "@tensorflow/tfjs-core";
import { AttrValueSchema } from "./gen/tensorflow/core/framework/attr_value_pb.ts";
import { type GraphDef, GraphDefSchema } from "./gen/tensorflow/core/framework/graph_pb.ts";
import { NodeDefSchema } from "./gen/tensorflow/core/framework/node_def_pb.ts";
import { TensorProtoSchema } from "./gen/tensorflow/core/framework/tensor_pb.ts";
import type { SignatureDef } from "./gen/tensorflow/core/protobuf/meta_graph_pb.ts";
import { withDefaultAttrs } from "./ops/index.ts";
import { metaGraphWithTags, readSavedModel } from "./saved-model-reader.ts";
import { servingSignatureKey, servingTag } from "./saved-model-writer.ts";
import { DataType, dtypeName, fromTensorProto, type HostTensor, halfToFloat32 } from "./tensor.ts";

type WeightDtype = "float32" | "int32" | "bool" | "string";

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: WeightDtype;
}

export interface TfjsArtifacts {
  modelTopology: object;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
  format: "graph-model";
}

/** The modelTopology JSON and the weights (from Const nodes) that tfjs-converter loads. */
export function toTfjsArtifacts(graph: GraphDef): TfjsArtifacts {
  const specs: WeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  const nodes = graph.node.map((node) => {
    const full = withDefaultAttrs(node);
    if (node.op !== "Const") return full;
    const value = node.attr.value?.value;
    if (value?.case !== "tensor") throw new Error(`Const ${node.name} has no tensor value`);
    const { dtype, bytes, shape } = weightBytes(fromTensorProto(value.value), node.name);
    specs.push({ name: node.name, shape, dtype });
    chunks.push(bytes);
    // The topology keeps only the Const's dtype and shape; its values travel as weight data.
    const header = create(TensorProtoSchema, { dtype: value.value.dtype });
    if (value.value.tensorShape) header.tensorShape = value.value.tensorShape;
    return create(NodeDefSchema, {
      ...full,
      attr: { ...full.attr, value: create(AttrValueSchema, { value: { case: "tensor", value: header } }) },
    });
  });
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    data.set(c, offset);
    offset += c.length;
  }
  const topology = toJson(GraphDefSchema, create(GraphDefSchema, { ...graph, node: nodes })) as object;
  return { modelTopology: topology, weightSpecs: specs, weightData: data.buffer, format: "graph-model" };
}

function weightBytes(t: HostTensor, name: string): { dtype: WeightDtype; bytes: Uint8Array; shape: number[] } {
  const shape = t.shape;
  const v = t.values;
  const asBytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  switch (t.dtype) {
    case DataType.DT_FLOAT:
      return { dtype: "float32", bytes: asBytes(v as Float32Array), shape };
    case DataType.DT_DOUBLE:
      return { dtype: "float32", bytes: asBytes(Float32Array.from(v as Float64Array)), shape };
    case DataType.DT_HALF:
      return { dtype: "float32", bytes: asBytes(halfToFloat32(v as Uint16Array)), shape };
    case DataType.DT_INT32:
    case DataType.DT_INT16:
    case DataType.DT_INT8:
    case DataType.DT_UINT8:
    case DataType.DT_UINT16:
      return { dtype: "int32", bytes: asBytes(Int32Array.from(v as Int16Array)), shape };
    case DataType.DT_INT64:
      return { dtype: "int32", bytes: asBytes(Int32Array.from(v as BigInt64Array, Number)), shape };
    case DataType.DT_BOOL:
      return { dtype: "bool", bytes: Uint8Array.from(v as Uint8Array), shape };
    case DataType.DT_STRING: {
      const parts = (v as Uint8Array[]).flatMap((s) => {
        const len = new Uint8Array(4);
        new DataView(len.buffer).setUint32(0, s.length, true);
        return [len, s];
      });
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        bytes.set(p, o);
        o += p.length;
      }
      return { dtype: "string", bytes, shape };
    }
    default:
      throw new Error(`Const ${name}: dtype ${dtypeName(t.dtype)} cannot be a TensorFlow.js weight`);
  }
}

/** Loads the graph as an in-memory tfjs GraphModel (the backend must be set first). */
export async function loadTfjsGraph(graph: GraphDef): Promise<GraphModel> {
  const artifacts = toTfjsArtifacts(graph);
  return loadGraphModel({ load: async () => artifacts });
}

/** A graph model run through a signature's aliases, as TF Serving does. */
export class TfjsSignatureRunner {
  constructor(
    readonly model: GraphModel,
    readonly signature: SignatureDef,
  ) {}

  static async load(graph: GraphDef, signature: SignatureDef): Promise<TfjsSignatureRunner> {
    return new TfjsSignatureRunner(await loadTfjsGraph(graph), signature);
  }

  /** Loads a signature of the "serve" meta graph of a SavedModel version directory. */
  static async fromSavedModel(versionDir: string, signatureKey = servingSignatureKey): Promise<TfjsSignatureRunner> {
    const mg = metaGraphWithTags(await readSavedModel(versionDir), [servingTag]);
    const signature = mg.signatureDef[signatureKey];
    if (!signature) throw new Error(`${versionDir} has no signature ${signatureKey}`);
    if (!mg.graphDef) throw new Error(`${versionDir} has no graph`);
    return TfjsSignatureRunner.load(mg.graphDef, signature);
  }

  /** Runs the graph; inputs and outputs are keyed by signature alias. Call `dispose` on the results. */
  async run(inputs: Record<string, tf.Tensor>, outputFilter?: string[]): Promise<Record<string, tf.Tensor>> {
    const feed: Record<string, tf.Tensor> = {};
    for (const [alias, info] of Object.entries(this.signature.inputs)) {
      const t = inputs[alias];
      if (!t) throw new Error(`missing input ${alias}`);
      feed[graphName(info.encoding.case === "name" ? info.encoding.value : alias)] = t;
    }
    for (const alias of Object.keys(inputs)) {
      if (!this.signature.inputs[alias]) throw new Error(`unknown input ${alias}`);
    }
    const aliases = outputFilter ?? Object.keys(this.signature.outputs);
    const names = aliases.map((alias) => {
      const info = this.signature.outputs[alias];
      if (info?.encoding.case !== "name") throw new Error(`unknown output ${alias}`);
      return graphName(info.encoding.value);
    });
    const result = await this.model.executeAsync(feed, names);
    const list = Array.isArray(result) ? result : [result];
    return Object.fromEntries(aliases.map((alias, i) => [alias, list[i]!]));
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** tfjs names output 0 by the bare node name. */
function graphName(tensorName: string): string {
  return tensorName.endsWith(":0") ? tensorName.slice(0, -2) : tensorName;
}
