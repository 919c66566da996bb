// Writes a SavedModel version directory for serving: weights as Const nodes, no variables and no
// saver_def, tags exactly ["serve"], one `serving_default` predict signature, default-valued attrs
// stripped. Every other file goes in first; saved_model.pb goes last and atomically, because
// TF Serving loads a version as soon as saved_model.pb appears.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { type GraphDef, GraphDefSchema } from "./gen/tensorflow/core/framework/graph_pb.ts";
import { type SignatureDef, SignatureDefSchema } from "./gen/tensorflow/core/protobuf/meta_graph_pb.ts";
import { type SavedModel, SavedModelSchema } from "./gen/tensorflow/core/protobuf/saved_model_pb.ts";
import { type Output, tensorName } from "./graph-builder.ts";
import { withoutDefaultAttrs } from "./ops/index.ts";
import { shapeProto } from "./tensor.ts";

export const servingTag = "serve";
export const servingSignatureKey = "serving_default";
export const predictMethod = "tensorflow/serving/predict";

/** A signature tensor: a graph output with its static shape (-1 for unknown dims; absent: unknown rank). */
export interface SignatureTensor {
  output: Output;
  shape?: number[];
}

export interface SignatureSpec {
  inputs: Record<string, SignatureTensor>;
  outputs: Record<string, SignatureTensor>;
}

export function signatureDef(spec: SignatureSpec): SignatureDef {
  const info = (t: SignatureTensor) => ({
    encoding: { case: "name" as const, value: tensorName(t.output) },
    dtype: t.output.dtype,
    tensorShape: shapeProto(t.shape),
  });
  const map = (m: Record<string, SignatureTensor>) =>
    Object.fromEntries(Object.entries(m).map(([alias, t]) => [alias, info(t)]));
  return create(SignatureDefSchema, {
    inputs: map(spec.inputs),
    outputs: map(spec.outputs),
    methodName: predictMethod,
  });
}

/** The SavedModel message: one meta graph tagged "serve", defaults stripped from every node. */
export function savedModelProto(graph: GraphDef, signature: SignatureSpec): SavedModel {
  const names = new Set(graph.node.map((n) => n.name));
  for (const [alias, t] of [...Object.entries(signature.inputs), ...Object.entries(signature.outputs)]) {
    if (!names.has(t.output.node))
      throw new Error(`signature tensor ${alias} names ${t.output.node}, not in the graph`);
  }
  const stripped = create(GraphDefSchema, { ...graph, node: graph.node.map(withoutDefaultAttrs) });
  return create(SavedModelSchema, {
    savedModelSchemaVersion: 1n,
    metaGraphs: [
      {
        metaInfoDef: { tags: [servingTag], strippedDefaultAttrs: true },
        graphDef: stripped,
        signatureDef: { [servingSignatureKey]: signatureDef(signature) },
      },
    ],
  });
}

export interface WriteSavedModelOptions {
  graph: GraphDef;
  signature: SignatureSpec;
  /** Extra files relative to the version directory (e.g. `boxloop.json`, `assets.extra/x`), written first. */
  files?: Record<string, Uint8Array | string>;
}

/**
 * Writes `versionDir` (e.g. `models/raccoon/3`). The version is assembled in a hidden sibling
 * (`.3.tmp-…`, which TF Serving ignores: it only loads all-digit names), extra files first and
 * saved_model.pb last, each fsynced, and then renamed into place: a reader sees no version or a
 * whole one. An existing version directory is refused: a published version is never rewritten.
 */
export async function writeSavedModel(versionDir: string, o: WriteSavedModelOptions): Promise<void> {
  if (await exists(versionDir))
    throw new Error(`${versionDir} already exists: a SavedModel version is never rewritten`);
  const bytes = toBinary(SavedModelSchema, savedModelProto(o.graph, o.signature));
  const files = Object.entries(o.files ?? {}).map(([rel, data]) => {
    const path = resolve("/", rel);
    if (path === "/" || rel.startsWith("/") || path !== `/${rel}` || rel === "saved_model.pb") {
      throw new Error(`extra file ${rel} is not allowed`);
    }
    return [rel, typeof data === "string" ? new TextEncoder().encode(data) : data] as const;
  });
  const parent = dirname(resolve(versionDir));
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(versionDir)}.tmp-${randomBytes(6).toString("hex")}`);
  try {
    await mkdir(tmp);
    for (const [rel, data] of files) {
      await mkdir(dirname(join(tmp, rel)), { recursive: true });
      await writeDurably(join(tmp, rel), data);
    }
    await writeDurably(join(tmp, "saved_model.pb"), bytes);
    await rename(tmp, versionDir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  await syncDir(parent);
}

/** Writes to a temporary sibling, fsyncs it, renames it into place, then fsyncs the directory. */
export async function writeDurably(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  try {
    const fh = await open(tmp, "wx");
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

async function syncDir(path: string): Promise<void> {
  const dir = await open(path, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
