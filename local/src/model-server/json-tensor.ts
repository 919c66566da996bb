// TF Serving's JSON predict format (tensorflow_serving/util/json_tensor.cc, rewritten): a request
// holds `instances` (row format: one element per batch item) or `inputs` (columnar: whole
// tensors); the answer mirrors it with `predictions` or `outputs`. Binary values are {"b64": …}.
import { allocate, type DType, dtypeString, elementCount, type HostTensor, shapeString } from "./host-tensor.ts";
import { invalidArgument } from "./serving-error.ts";
import { isImageInput, type TensorSpec } from "./signature.ts";

export type JsonFormat = "row" | "columnar";

export interface JsonPredictRequest {
  signatureName: string;
  format: JsonFormat;
  inputs: Record<string, HostTensor>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function show(value: Json): string {
  return JSON.stringify(value) ?? "null";
}

function jsonType(value: Json): string {
  if (value === null) return "Null";
  if (Array.isArray(value)) return "Array";
  if (typeof value === "boolean") return value ? "True" : "False";
  const names: Record<string, string> = { number: "Number", string: "String", object: "Object" };
  return names[typeof value] ?? "Unknown";
}

function isB64(value: Json): value is { b64: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof value.b64 === "string"
  );
}

const base64Pattern = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeB64(value: Json): Uint8Array {
  if (!isB64(value)) throw invalidArgument(`JSON Value: ${show(value)} not formatted correctly for base64 data`);
  const text = value.b64.replace(/\s/g, "");
  if (!base64Pattern.test(text) || text.replace(/=+$/, "").length % 4 === 1) {
    throw invalidArgument("Unable to base64 decode");
  }
  return new Uint8Array(Buffer.from(text, text.includes("-") || text.includes("_") ? "base64url" : "base64"));
}

function typeError(value: Json, dtype: DType): Error {
  return invalidArgument(
    `JSON Value: ${show(value)} Type: ${jsonType(value)} is not of expected type: ${dtypeString(dtype)}`,
  );
}

function denseShape(value: Json): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0]!;
  }
  return shape;
}

function leafValue(value: Json, dtype: DType): number | bigint | boolean | Uint8Array {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    if (dtype === "DT_STRING") return decodeB64(value);
    throw typeError(value, dtype);
  }
  switch (dtype) {
    case "DT_FLOAT":
    case "DT_DOUBLE":
      if (typeof value !== "number") throw typeError(value, dtype);
      return value;
    case "DT_STRING":
      if (typeof value !== "string") throw typeError(value, dtype);
      return new TextEncoder().encode(value);
    case "DT_BOOL":
      if (typeof value !== "boolean") throw typeError(value, dtype);
      return value;
    case "DT_INT64":
    case "DT_UINT64":
      if (typeof value !== "number" || !Number.isInteger(value)) throw typeError(value, dtype);
      if (dtype === "DT_UINT64" && value < 0) throw typeError(value, dtype);
      return BigInt(value);
    default:
      if (typeof value !== "number" || !Number.isInteger(value)) throw typeError(value, dtype);
      if (dtype === "DT_UINT32" && value < 0) throw typeError(value, dtype);
      return value;
  }
}

/** One JSON value (scalar or nested lists) as a dense tensor of `dtype`. */
export function tensorFromJson(value: Json, dtype: DType): HostTensor {
  const shape = denseShape(value);
  const rank = shape.length;
  const values = allocate(dtype, elementCount(shape));
  let n = 0;
  const fill = (v: Json, level: number) => {
    if (!Array.isArray(v)) {
      if (level !== rank) {
        throw invalidArgument(
          `JSON Value: ${show(v)} found at incorrect level: ${level + 1} in the JSON DOM. Expected at level: ${rank}`,
        );
      }
      const x = leafValue(v, dtype);
      (values as unknown[])[n++] = typeof x === "boolean" ? (x ? 1 : 0) : x;
      return;
    }
    if (level >= rank) throw invalidArgument(`Encountered list at unexpected level: ${level} expected < ${rank}`);
    if (v.length !== shape[level]) {
      throw invalidArgument(
        `Encountered list at unexpected size: ${v.length} at level: ${level} expected size: ${shape[level]}`,
      );
    }
    for (const item of v) fill(item, level + 1);
  };
  fill(value, 0);
  return { dtype, shape, values };
}

/** Strings where the signature takes an image: {"b64"} values are encoded images for the server to decode. */
function wireDtype(spec: TensorSpec, sample: Json): DType {
  if (!isImageInput(spec)) return spec.dtype;
  let v = sample;
  while (Array.isArray(v) && v.length > 0) v = v[0]!;
  return isB64(v) ? "DT_STRING" : spec.dtype;
}

function parseObject(body: string): Record<string, Json> {
  if (body.length === 0) throw invalidArgument("JSON Parse error: The document is empty");
  let doc: Json;
  try {
    doc = JSON.parse(body) as Json;
  } catch (error) {
    throw invalidArgument(`JSON Parse error: ${(error as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw invalidArgument(`JSON Value: ${show(doc)} Is not object`);
  }
  return doc;
}

function fromInstances(instances: Json[], specs: Record<string, TensorSpec>): Record<string, HostTensor> {
  const names = Object.keys(specs).sort();
  const asObjects = (v: Json) => typeof v === "object" && v !== null && !Array.isArray(v) && !isB64(v);
  const first = instances[0]!;
  if (!(typeof first === "object" && first !== null && !Array.isArray(first)) && names.length > 1) {
    throw invalidArgument(
      "instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map",
    );
  }
  const objects = asObjects(first);
  const columns = new Map<string, Json[]>(names.map((n) => [n, []]));
  instances.forEach((item, i) => {
    if (objects) {
      if (!asObjects(item)) throw invalidArgument(`Expecting object but got list at item ${i} of input list`);
      const record = item as Record<string, Json>;
      for (const key of Object.keys(record)) {
        if (!specs[key]) {
          throw invalidArgument(
            `Failed to process element: ${i} key: ${key} of 'instances' list. Error: JSON object: does not have named input: ${key}`,
          );
        }
      }
      const keys = Object.keys(record).sort();
      if (keys.join(",") !== names.join(",")) {
        throw invalidArgument(
          `Failed to process element: ${i} of 'instances' list. JSON object: ${show(item)} keys must be equal to: ${names.join(",")}`,
        );
      }
      for (const key of keys) columns.get(key)!.push(record[key]!);
    } else {
      if (asObjects(item)) throw invalidArgument(`Expecting value/list but got object at item ${i} of input list`);
      columns.get(names[0]!)!.push(item);
    }
  });
  const out: Record<string, HostTensor> = {};
  for (const [name, items] of columns) {
    const dtype = wireDtype(specs[name]!, items[0]!);
    const parts = items.map((item, i) => {
      try {
        return tensorFromJson(item, dtype);
      } catch (error) {
        throw invalidArgument(
          `Failed to process element: ${i} of 'instances' list. Error: ${(error as Error).message}`,
        );
      }
    });
    const shape0 = parts[0]!.shape;
    parts.forEach((p) => {
      if (shapeString(p.shape) !== shapeString(shape0)) {
        throw invalidArgument(`Expecting shape ${shapeString(shape0)} but got: ${shapeString(p.shape)}`);
      }
    });
    const shape = [parts.length, ...shape0];
    const values =
      dtype === "DT_STRING"
        ? parts.flatMap((p) => p.values as Uint8Array[])
        : (() => {
            const all = allocate(dtype, elementCount(shape)) as Float32Array;
            let offset = 0;
            for (const p of parts) {
              all.set(p.values as Float32Array, offset);
              offset += p.values.length;
            }
            return all;
          })();
    out[name] = { dtype, shape, values };
  }
  return out;
}

function fromInputs(inputs: Json, specs: Record<string, TensorSpec>): Record<string, HostTensor> {
  const names = Object.keys(specs);
  const plain = typeof inputs !== "object" || inputs === null || Array.isArray(inputs) || isB64(inputs);
  if (plain) {
    if (names.length > 1) {
      throw invalidArgument(
        "inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map",
      );
    }
    const name = names[0]!;
    return { [name]: tensorFromJson(inputs, wireDtype(specs[name]!, inputs)) };
  }
  const record = inputs as Record<string, Json>;
  const out: Record<string, HostTensor> = {};
  for (const name of names) {
    if (!(name in record)) throw invalidArgument(`Missing named input: ${name} in 'inputs' object.`);
    out[name] = tensorFromJson(record[name]!, wireDtype(specs[name]!, record[name]!));
  }
  return out;
}

/**
 * Parses a `:predict` body. `inputSpecs` resolves the signature (it may throw NOT_FOUND for an
 * unknown model or signature, after the JSON itself was found well formed, as TF Serving orders it).
 */
export function parsePredictRequest(
  body: string,
  inputSpecs: (signatureName: string) => Record<string, TensorSpec>,
): JsonPredictRequest {
  const doc = parseObject(body);
  const sig = doc.signature_name;
  if (sig !== undefined && typeof sig !== "string") {
    throw invalidArgument(
      `JSON Value: ${show(doc)} not formatted correctly. 'signature_name' key must be a string value.`,
    );
  }
  const signatureName = sig ?? "";
  const specs = inputSpecs(signatureName);
  if (Object.keys(specs).length === 0) {
    throw invalidArgument(`Failed to get input map for signature: ${signatureName || "DEFAULT"}`);
  }
  const hasInstances = "instances" in doc;
  const hasInputs = "inputs" in doc;
  if (hasInstances && hasInputs) {
    throw invalidArgument(
      "JSON Value: (request) Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ",
    );
  }
  if (hasInstances) {
    const instances = doc.instances!;
    if (!Array.isArray(instances))
      throw invalidArgument("JSON Value: (request) Excepting 'instances' to be an list/array");
    if (instances.length === 0) throw invalidArgument("JSON Value: (request) No values in 'instances' array");
    return { signatureName, format: "row", inputs: fromInstances(instances, specs) };
  }
  if (hasInputs) return { signatureName, format: "columnar", inputs: fromInputs(doc.inputs!, specs) };
  throw invalidArgument("Missing 'inputs' or 'instances' key");
}

/**
 * A float as TF Serving writes it (TensorFlow's FloatToBuffer): 6 significant digits when they read
 * back to the same float32, else 9; whole numbers get `.0`.
 */
function decimal(x: number, float32: boolean): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  let text: string;
  if (float32) {
    const short = Number(x.toPrecision(6));
    text = String(Math.fround(short) === x ? short : Number(x.toPrecision(9)));
  } else {
    text = String(x);
  }
  return text.includes(".") || text.includes("e") ? text : `${text}.0`;
}

function writeValues(tensor: HostTensor, name: string, dim: number, offset: { i: number }, out: string[]): void {
  const { shape } = tensor;
  if (dim >= shape.length) {
    const v = tensor.values[offset.i++]!;
    if (tensor.dtype === "DT_STRING") {
      const bytes = v as Uint8Array;
      out.push(
        name.endsWith("_bytes")
          ? `{"b64":"${Buffer.from(bytes).toString("base64")}"}`
          : JSON.stringify(new TextDecoder().decode(bytes)),
      );
    } else if (tensor.dtype === "DT_FLOAT" || tensor.dtype === "DT_DOUBLE") {
      out.push(decimal(v as number, tensor.dtype === "DT_FLOAT"));
    } else if (tensor.dtype === "DT_BOOL") {
      out.push(v ? "true" : "false");
    } else {
      out.push(String(v));
    }
    return;
  }
  out.push("[");
  for (let k = 0; k < shape[dim]!; k++) {
    if (k > 0) out.push(",");
    writeValues(tensor, name, dim + 1, offset, out);
  }
  out.push("]");
}

/** The answer body: `{"predictions": […]}` (row) or `{"outputs": …}` (columnar), as TF Serving shapes it. */
export function predictResponseJson(outputs: Record<string, HostTensor>, format: JsonFormat): string {
  const names = Object.keys(outputs).sort();
  if (names.length === 0) throw invalidArgument("Cannot convert empty tensor map to JSON");
  const out: string[] = [];
  if (format === "columnar") {
    out.push('{"outputs":');
    if (names.length > 1) out.push("{");
    names.forEach((name, k) => {
      if (names.length > 1) out.push(`${k > 0 ? "," : ""}${JSON.stringify(name)}:`);
      writeValues(outputs[name]!, name, 0, { i: 0 }, out);
    });
    if (names.length > 1) out.push("}");
    out.push("}");
    return out.join("");
  }
  let batch = -1;
  for (const name of names) {
    const t = outputs[name]!;
    if (t.shape.length === 0) throw invalidArgument(`Tensor name: ${name} has no shape information `);
    if (batch >= 0 && t.shape[0] !== batch) {
      throw invalidArgument(`Tensor name: ${name} has inconsistent batch size: ${t.shape[0]} expecting: ${batch}`);
    }
    batch = t.shape[0]!;
  }
  const offsets = new Map(names.map((n) => [n, { i: 0 }]));
  out.push('{"predictions":[');
  for (let item = 0; item < batch; item++) {
    if (item > 0) out.push(",");
    if (names.length > 1) out.push("{");
    names.forEach((name, k) => {
      if (names.length > 1) out.push(`${k > 0 ? "," : ""}${JSON.stringify(name)}:`);
      writeValues(outputs[name]!, name, 1, offsets.get(name)!, out);
    });
    if (names.length > 1) out.push("}");
  }
  out.push("]}");
  return out.join("");
}
