// Reads a saved_model.pb (ours or one written by TensorFlow) and lists its meta graphs and signatures.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import type { TensorInfo } from "./gen/tensorflow/core/protobuf/meta_graph_pb.ts";
import { type SavedModel, SavedModelSchema } from "./gen/tensorflow/core/protobuf/saved_model_pb.ts";
import { dtypeName, shapeFromProto } from "./tensor.ts";

export interface SignatureTensorInfo {
  alias: string;
  /** `node:index`. */
  name: string;
  dtype: string;
  /** Dims with -1 for unknown; undefined for unknown rank. */
  shape: number[] | undefined;
}

export interface SignatureInfo {
  key: string;
  methodName: string;
  inputs: SignatureTensorInfo[];
  outputs: SignatureTensorInfo[];
}

export interface MetaGraphInfo {
  tags: string[];
  nodeCount: number;
  signatures: SignatureInfo[];
}

/** Parses saved_model.pb bytes; a file that is not a SavedModel gives a clear error. */
export function parseSavedModel(bytes: Uint8Array, source = "saved_model.pb"): SavedModel {
  let model: SavedModel;
  try {
    model = fromBinary(SavedModelSchema, bytes);
  } catch (error) {
    throw new Error(`${source} is not a SavedModel: ${(error as Error).message}`);
  }
  if (model.metaGraphs.length === 0) throw new Error(`${source} holds no meta graph`);
  return model;
}

/** Reads a SavedModel from a version directory or a saved_model.pb path. */
export async function readSavedModel(path: string): Promise<SavedModel> {
  const file = (await stat(path)).isDirectory() ? join(path, "saved_model.pb") : path;
  return parseSavedModel(await readFile(file), file);
}

export function describeSavedModel(model: SavedModel): MetaGraphInfo[] {
  return model.metaGraphs.map((mg) => ({
    tags: [...(mg.metaInfoDef?.tags ?? [])],
    nodeCount: mg.graphDef?.node.length ?? 0,
    signatures: Object.entries(mg.signatureDef)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, sig]) => ({
        key,
        methodName: sig.methodName,
        inputs: tensors(sig.inputs),
        outputs: tensors(sig.outputs),
      })),
  }));
}

function tensors(m: Record<string, TensorInfo>): SignatureTensorInfo[] {
  return Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, t]) => ({
      alias,
      name: t.encoding.case === "name" ? t.encoding.value : "",
      dtype: dtypeName(t.dtype),
      shape: shapeFromProto(t.tensorShape),
    }));
}

/** The meta graph whose tag set is exactly `tags`. */
export function metaGraphWithTags(model: SavedModel, tags: string[] = ["serve"]) {
  const want = [...tags].sort().join(",");
  const mg = model.metaGraphs.find((m) => [...(m.metaInfoDef?.tags ?? [])].sort().join(",") === want);
  if (!mg) throw new Error(`SavedModel has no meta graph tagged [${tags.join(", ")}]`);
  return mg;
}
