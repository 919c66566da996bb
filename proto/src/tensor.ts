// TensorProto <-> host values (typed arrays, shape, dtype). Numeric tensors are written as
// little-endian `tensor_content`; reading accepts both `tensor_content` and the typed `*_val` fields,
// where TensorFlow repeats the last value when fewer values than elements are given.
import { create } from "@bufbuild/protobuf";
import { type TensorProto, TensorProtoSchema } from "./gen/tensorflow/core/framework/tensor_pb.ts";
import { type TensorShapeProto, TensorShapeProtoSchema } from "./gen/tensorflow/core/framework/tensor_shape_pb.ts";
import { DataType } from "./gen/tensorflow/core/framework/types_pb.ts";

export { DataType };

/** Values by dtype. DT_BOOL is one byte per element (0 or 1); DT_HALF/DT_BFLOAT16 are raw bit patterns. */
export type TensorValues =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array[];

export interface HostTensor {
  dtype: DataType;
  shape: number[];
  values: TensorValues;
}

type NumericArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Int16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

const arrayTypes: Partial<Record<DataType, NumericArrayCtor>> = {
  [DataType.DT_FLOAT]: Float32Array,
  [DataType.DT_DOUBLE]: Float64Array,
  [DataType.DT_INT32]: Int32Array,
  [DataType.DT_INT16]: Int16Array,
  [DataType.DT_INT8]: Int8Array,
  [DataType.DT_UINT8]: Uint8Array,
  [DataType.DT_UINT16]: Uint16Array,
  [DataType.DT_UINT32]: Uint32Array,
  [DataType.DT_INT64]: BigInt64Array,
  [DataType.DT_UINT64]: BigUint64Array,
  [DataType.DT_BOOL]: Uint8Array,
  [DataType.DT_HALF]: Uint16Array,
  [DataType.DT_BFLOAT16]: Uint16Array,
};

export function dtypeName(dtype: DataType): string {
  return DataType[dtype] ?? `DataType(${dtype})`;
}

/** The typed-array constructor holding values of `dtype`; throws for DT_STRING and unsupported types. */
export function arrayTypeOf(dtype: DataType): NumericArrayCtor {
  const ctor = arrayTypes[dtype];
  if (!ctor) throw new Error(`tensor dtype ${dtypeName(dtype)} has no numeric representation`);
  return ctor;
}

export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`tensor shape [${shape.join(",")}] has an unknown dimension`);
    n *= d;
  }
  return n;
}

/** A shape proto; -1 marks an unknown dimension, `undefined` an unknown rank. */
export function shapeProto(shape: readonly number[] | undefined): TensorShapeProto {
  if (shape === undefined) return create(TensorShapeProtoSchema, { unknownRank: true });
  return create(TensorShapeProtoSchema, { dim: shape.map((d) => ({ size: BigInt(d) })) });
}

/** The dims of a shape proto (-1 for unknown), or `undefined` for unknown rank. */
export function shapeFromProto(shape: TensorShapeProto | undefined): number[] | undefined {
  if (!shape || shape.unknownRank) return undefined;
  return shape.dim.map((d) => Number(d.size));
}

export function tensor(dtype: DataType, shape: readonly number[], values: TensorValues): HostTensor {
  const n = numElements(shape);
  if (dtype === DataType.DT_STRING) {
    if (!Array.isArray(values)) throw new Error("a DT_STRING tensor needs an array of byte strings");
  } else if (Array.isArray(values) || !(values instanceof arrayTypeOf(dtype))) {
    throw new Error(`a ${dtypeName(dtype)} tensor needs a ${arrayTypeOf(dtype).name}`);
  }
  if (values.length !== n) {
    throw new Error(`tensor of shape [${shape.join(",")}] needs ${n} values, got ${values.length}`);
  }
  return { dtype, shape: [...shape], values };
}

export function toTensorProto(t: HostTensor): TensorProto {
  const proto = create(TensorProtoSchema, { dtype: t.dtype, tensorShape: shapeProto(t.shape) });
  if (t.dtype === DataType.DT_STRING) {
    proto.stringVal = [...(t.values as Uint8Array[])];
    return proto;
  }
  const values = t.values as Exclude<TensorValues, Uint8Array[]>;
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  proto.tensorContent = littleEndian ? new Uint8Array(bytes) : swapBytes(bytes, values.BYTES_PER_ELEMENT);
  return proto;
}

export function fromTensorProto(proto: TensorProto): HostTensor {
  const shape = shapeFromProto(proto.tensorShape) ?? [];
  const n = numElements(shape);
  const dtype = proto.dtype;
  if (dtype === DataType.DT_STRING) {
    return { dtype, shape, values: fill(proto.stringVal, n, () => new Uint8Array(0), "string_val") };
  }
  const Ctor = arrayTypeOf(dtype);
  if (proto.tensorContent.length > 0) {
    const size = Ctor.BYTES_PER_ELEMENT;
    if (proto.tensorContent.length !== n * size) {
      throw new Error(
        `tensor_content has ${proto.tensorContent.length} bytes; a ${dtypeName(dtype)} tensor of shape [${shape.join(",")}] needs ${n * size}`,
      );
    }
    // A copy (never Buffer#slice, which shares memory), aligned for the typed array.
    const bytes = littleEndian ? new Uint8Array(proto.tensorContent) : swapBytes(proto.tensorContent, size);
    return { dtype, shape, values: new Ctor(bytes.buffer as ArrayBuffer, 0, n) };
  }
  const out = new Ctor(n);
  const src = typedSource(proto);
  if (src.length > n) throw new Error(`tensor holds ${src.length} values but its shape needs ${n}`);
  for (let i = 0; i < n; i++) {
    const v = src.length === 0 ? 0 : src[Math.min(i, src.length - 1)]!;
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = BigInt(v);
    else out[i] = Number(v);
  }
  return { dtype, shape, values: out };
}

/** The `*_val` field that TensorFlow uses for `proto.dtype`. */
function typedSource(proto: TensorProto): ArrayLike<number | bigint | boolean> {
  switch (proto.dtype) {
    case DataType.DT_FLOAT:
      return proto.floatVal;
    case DataType.DT_DOUBLE:
      return proto.doubleVal;
    case DataType.DT_INT32:
    case DataType.DT_INT16:
    case DataType.DT_INT8:
    case DataType.DT_UINT8:
    case DataType.DT_UINT16:
      return proto.intVal;
    case DataType.DT_INT64:
      return proto.int64Val;
    case DataType.DT_UINT32:
      return proto.uint32Val;
    case DataType.DT_UINT64:
      return proto.uint64Val;
    case DataType.DT_BOOL:
      return proto.boolVal;
    case DataType.DT_HALF:
    case DataType.DT_BFLOAT16:
      return proto.halfVal;
    default:
      throw new Error(`tensor dtype ${dtypeName(proto.dtype)} is not supported`);
  }
}

function fill<T>(src: T[], n: number, zero: () => T, field: string): T[] {
  if (src.length > n) throw new Error(`${field} holds ${src.length} values but the shape needs ${n}`);
  if (src.length === n) return [...src];
  const last = src.length === 0 ? zero() : src[src.length - 1]!;
  return Array.from({ length: n }, (_, i) => (i < src.length ? src[i]! : last));
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  return out;
}

/** IEEE half-precision bit patterns to float32 (used to widen fp16-quantized weights). */
export function halfToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * 2 ** -14 * (frac / 1024);
    else if (exp === 0x1f) out[i] = frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else out[i] = sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}
