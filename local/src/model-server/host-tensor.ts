// A tensor in host memory, as the server moves it between the wire (JSON or TensorProto) and the
// model. Strings (encoded images) are byte arrays; numbers live in a typed array of the dtype.
import { invalidArgument } from "./serving-error.ts";

export type DType =
  | "DT_FLOAT"
  | "DT_DOUBLE"
  | "DT_INT32"
  | "DT_UINT8"
  | "DT_INT16"
  | "DT_INT8"
  | "DT_STRING"
  | "DT_INT64"
  | "DT_BOOL"
  | "DT_UINT16"
  | "DT_UINT32"
  | "DT_UINT64";

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint8Array
  | Int16Array
  | Int8Array
  | BigInt64Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

export interface HostTensor {
  dtype: DType;
  shape: number[];
  /** Row-major values; for DT_STRING, one byte array per element. */
  values: NumericArray | Uint8Array[];
}

/** TensorFlow's DataType numbers (tensorflow/core/framework/types.proto). */
export const dtypeNumber: Record<DType, number> = {
  DT_FLOAT: 1,
  DT_DOUBLE: 2,
  DT_INT32: 3,
  DT_UINT8: 4,
  DT_INT16: 5,
  DT_INT8: 6,
  DT_STRING: 7,
  DT_INT64: 9,
  DT_BOOL: 10,
  DT_UINT16: 17,
  DT_UINT32: 22,
  DT_UINT64: 23,
};

const byNumber = new Map(Object.entries(dtypeNumber).map(([k, v]) => [v, k as DType]));

export function dtypeFromNumber(n: number): DType {
  const dtype = byNumber.get(n);
  if (!dtype) throw invalidArgument(`Unsupported tensor dtype: ${n}`);
  return dtype;
}

/** The lower-case name TensorFlow prints in messages (DataTypeString). */
export function dtypeString(dtype: DType): string {
  return dtype === "DT_BOOL" ? "bool" : dtype.slice(3).toLowerCase();
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocate(dtype: DType, count: number): NumericArray | Uint8Array[] {
  switch (dtype) {
    case "DT_FLOAT":
      return new Float32Array(count);
    case "DT_DOUBLE":
      return new Float64Array(count);
    case "DT_INT32":
      return new Int32Array(count);
    case "DT_UINT8":
    case "DT_BOOL":
      return new Uint8Array(count);
    case "DT_INT16":
      return new Int16Array(count);
    case "DT_INT8":
      return new Int8Array(count);
    case "DT_INT64":
      return new BigInt64Array(count);
    case "DT_UINT16":
      return new Uint16Array(count);
    case "DT_UINT32":
      return new Uint32Array(count);
    case "DT_UINT64":
      return new BigUint64Array(count);
    case "DT_STRING":
      return new Array<Uint8Array>(count);
  }
}

/** `[a,b,c]` as TF Serving prints shapes. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** Concatenates tensors of one dtype along dimension 0 (shapes must agree past it). */
export function concat0(tensors: HostTensor[]): HostTensor {
  const first = tensors[0]!;
  if (tensors.length === 1) return first;
  const rows = tensors.reduce((n, t) => n + (t.shape[0] ?? 1), 0);
  const shape = [rows, ...first.shape.slice(1)];
  if (first.dtype === "DT_STRING") {
    return { dtype: first.dtype, shape, values: tensors.flatMap((t) => t.values as Uint8Array[]) };
  }
  const out = allocate(first.dtype, elementCount(shape)) as NumericArray;
  let offset = 0;
  for (const t of tensors) {
    (out as Float32Array).set(t.values as Float32Array, offset);
    offset += t.values.length;
  }
  return { dtype: first.dtype, shape, values: out };
}

/** Splits a tensor along dimension 0 into pieces of the given row counts. */
export function split0(tensor: HostTensor, rows: number[]): HostTensor[] {
  const inner = elementCount(tensor.shape.slice(1));
  let start = 0;
  return rows.map((n) => {
    const values = tensor.values.slice(start * inner, (start + n) * inner) as HostTensor["values"];
    start += n;
    return { dtype: tensor.dtype, shape: [n, ...tensor.shape.slice(1)], values };
  });
}
