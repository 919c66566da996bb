// Loads a SavedModel version directory as a Servable: the "serve" meta graph's GraphDef runs in
// TensorFlow.js (proto/'s GraphDef converter), through its signatures' aliases as TF Serving does.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SignatureDefMapSchema } from "@boxloop/proto/gen/tensorflow_serving/apis/get_model_metadata_pb";
import { loadTfjsGraph } from "@boxloop/proto/graph-to-tfjs";
import { metaGraphWithTags, parseSavedModel } from "@boxloop/proto/saved-model-reader";
import { shapeFromProto } from "@boxloop/proto/tensor";
import { type TfjsBackend, useTfjsBackend } from "@boxloop/proto/tfjs-backend";
import { create, toBinary, toJson } from "@bufbuild/protobuf";
import * as tf from "@tensorflow/tfjs-core";
import { allocate, type DType, dtypeFromNumber, type HostTensor, type NumericArray } from "./host-tensor.ts";
import type { Servable, ServableLoader } from "./servable.ts";
import { ServingError } from "./serving-error.ts";
import type { SignatureSpec, TensorSpec } from "./signature.ts";

function tfjsDtype(dtype: DType): tf.DataType {
  switch (dtype) {
    case "DT_FLOAT":
    case "DT_DOUBLE":
      return "float32";
    case "DT_BOOL":
      return "bool";
    case "DT_STRING":
      return "string";
    default:
      return "int32";
  }
}

function toTfjs(t: HostTensor): tf.Tensor {
  if (t.dtype === "DT_STRING") return tf.tensor(t.values as Uint8Array[], t.shape, "string");
  const values = t.values as NumericArray;
  const dtype = tfjsDtype(t.dtype);
  if (dtype === "float32")
    return tf.tensor(
      values instanceof Float32Array ? values : Float32Array.from(values as Float64Array),
      t.shape,
      dtype,
    );
  if (dtype === "bool") return tf.tensor(values as Uint8Array, t.shape, dtype);
  // A typed-array copy (fast) rather than Int32Array.from with a mapper (slow on megapixel images).
  const ints =
    values instanceof Int32Array
      ? values
      : values instanceof BigInt64Array || values instanceof BigUint64Array
        ? Int32Array.from(values, Number)
        : new Int32Array(values);
  return tf.tensor(ints, t.shape, "int32");
}

async function fromTfjs(t: tf.Tensor, dtype: DType): Promise<HostTensor> {
  const data = await t.data();
  const shape = [...t.shape];
  if (dtype === "DT_STRING") return { dtype, shape, values: data as unknown as Uint8Array[] };
  const out = allocate(dtype, data.length) as NumericArray;
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) out[i] = BigInt(Math.trunc(data[i] as number));
  } else {
    (out as Float32Array).set(data as Float32Array);
  }
  return { dtype, shape, values: out };
}

function loadError(dir: string, error: unknown): ServingError {
  const e = error as NodeJS.ErrnoException;
  if (e.code === "ENOENT")
    return new ServingError(
      "NOT_FOUND",
      `Could not find SavedModel .pb or .pbtxt at supplied export directory path: ${dir}`,
    );
  if (/not a SavedModel|holds no meta graph/.test(e.message)) return new ServingError("DATA_LOSS", e.message);
  if (/no meta graph tagged/.test(e.message)) {
    return new ServingError(
      "NOT_FOUND",
      `Could not find meta graph def matching supplied tags: { serve }. ${e.message}`,
    );
  }
  return new ServingError("INVALID_ARGUMENT", `Failed to load SavedModel from ${dir}: ${e.message}`);
}

/** Loads run one at a time: TensorFlow.js's backend set-up and weight upload are process-wide. */
let loading: Promise<unknown> = Promise.resolve();

export function savedModelLoader(backend: TfjsBackend = "wasm"): ServableLoader {
  const load = loadSavedModel(backend);
  return (dir) => {
    const next = loading.then(
      () => load(dir),
      () => load(dir),
    );
    loading = next.catch(() => undefined);
    return next;
  };
}

function loadSavedModel(backend: TfjsBackend): ServableLoader {
  return async (dir) => {
    await useTfjsBackend(backend);
    let metaGraph: ReturnType<typeof metaGraphWithTags>;
    let model: Awaited<ReturnType<typeof loadTfjsGraph>>;
    try {
      // A plain Uint8Array, not a Buffer: tensor_content views must not alias a pooled Buffer.
      const bytes = new Uint8Array(await readFile(join(dir, "saved_model.pb")));
      metaGraph = metaGraphWithTags(parseSavedModel(bytes, join(dir, "saved_model.pb")), ["serve"]);
      model = await loadTfjsGraph(metaGraph.graphDef!);
    } catch (error) {
      throw loadError(dir, error);
    }
    const signatures: Record<string, SignatureSpec> = {};
    const feeds: Record<string, Record<string, string>> = {};
    const fetches: Record<string, [alias: string, name: string][]> = {};
    const graphName = (n: string) => (n.endsWith(":0") ? n.slice(0, -2) : n);
    // Graphs without dynamic ops run synchronously (faster, and tfjs warns on every needless executeAsync).
    let dynamic = false;
    const execute = async (feed: Record<string, tf.Tensor>, names: string[]): Promise<tf.Tensor[]> => {
      if (!dynamic) {
        try {
          return model.execute(feed, names) as tf.Tensor[];
        } catch (error) {
          if (!/executeAsync/.test((error as Error).message)) throw error;
          dynamic = true;
        }
      }
      return (await model.executeAsync(feed, names)) as tf.Tensor[];
    };
    for (const [key, def] of Object.entries(metaGraph.signatureDef)) {
      const specs = (m: typeof def.inputs): Record<string, TensorSpec> =>
        Object.fromEntries(
          Object.entries(m).map(([alias, info]) => [
            alias,
            {
              name: info.encoding.case === "name" ? info.encoding.value : alias,
              dtype: dtypeFromNumber(info.dtype),
              shape: shapeFromProto(info.tensorShape),
            },
          ]),
        );
      signatures[key] = { methodName: def.methodName, inputs: specs(def.inputs), outputs: specs(def.outputs) };
      feeds[key] = Object.fromEntries(Object.entries(signatures[key].inputs).map(([a, t]) => [a, graphName(t.name)]));
      fetches[key] = Object.entries(signatures[key].outputs).map(([a, t]) => [a, graphName(t.name)]);
    }
    const defMap = create(SignatureDefMapSchema, { signatureDef: metaGraph.signatureDef });
    const binary = toBinary(SignatureDefMapSchema, defMap);
    const json = toJson(SignatureDefMapSchema, defMap, { useProtoFieldName: true, alwaysEmitImplicit: true });

    const servable: Servable = {
      signatures,
      signatureDefMap: () => ({ typeName: SignatureDefMapSchema.typeName, binary, json }),
      async run(signatureName, inputs) {
        const spec = signatures[signatureName]!;
        const names = feeds[signatureName]!;
        const feed = Object.fromEntries(Object.entries(inputs).map(([alias, t]) => [names[alias]!, toTfjs(t)]));
        const wanted = fetches[signatureName]!;
        let outputs: tf.Tensor[] = [];
        try {
          outputs = await execute(
            feed,
            wanted.map(([, name]) => name),
          );
          const result: Record<string, HostTensor> = {};
          for (const [i, [alias]] of wanted.entries())
            result[alias] = await fromTfjs(outputs[i]!, spec.outputs[alias]!.dtype);
          return result;
        } catch (error) {
          if (error instanceof ServingError) throw error;
          throw new ServingError("INVALID_ARGUMENT", (error as Error).message);
        } finally {
          for (const t of Object.values(feed)) t.dispose();
          for (const t of outputs) t.dispose();
        }
      },
      dispose: () => model.dispose(),
    };
    return servable;
  };
}
