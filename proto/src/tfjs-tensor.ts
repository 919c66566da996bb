// HostTensor <-> TensorFlow.js tensors, for serving TensorProtos with a tfjs-run graph. tfjs has no
// int64, uint8 or float64: they travel as int32/float32 and are converted back to the dtype the
// signature declares.
import * as tf from "@tensorflow/tfjs-core";
import { arrayTypeOf, DataType, dtypeName, type HostTensor } from "./tensor.ts";

export function toTfjsTensor(t: HostTensor): tf.Tensor {
  switch (t.dtype) {
    case DataType.DT_FLOAT:
      return tf.tensor(t.values as Float32Array, t.shape, "float32");
    case DataType.DT_DOUBLE:
      return tf.tensor(Float32Array.from(t.values as Float64Array), t.shape, "float32");
    case DataType.DT_INT32:
      return tf.tensor(t.values as Int32Array, t.shape, "int32");
    case DataType.DT_UINT8:
    case DataType.DT_INT8:
    case DataType.DT_INT16:
    case DataType.DT_UINT16:
      return tf.tensor(Int32Array.from(t.values as Uint8Array), t.shape, "int32");
    case DataType.DT_INT64: {
      const v = t.values as BigInt64Array;
      if (v.some((x) => x > 2147483647n || x < -2147483648n)) throw new Error("an int64 value does not fit int32");
      return tf.tensor(Int32Array.from(v, Number), t.shape, "int32");
    }
    case DataType.DT_BOOL:
      return tf.tensor(t.values as Uint8Array, t.shape, "bool");
    case DataType.DT_STRING:
      return tf.tensor(t.values as Uint8Array[], t.shape, "string");
    default:
      throw new Error(`dtype ${dtypeName(t.dtype)} has no TensorFlow.js equivalent`);
  }
}

/** Reads a tfjs tensor back as `dtype` (the signature's dtype for this output). */
export async function fromTfjsTensor(t: tf.Tensor, dtype: DataType): Promise<HostTensor> {
  const shape = [...t.shape];
  if (dtype === DataType.DT_STRING) {
    if (t.dtype !== "string") throw new Error(`a ${t.dtype} tensor cannot be read as DT_STRING`);
    const values = (await t.bytes()) as Uint8Array[];
    return { dtype, shape, values };
  }
  const data = await t.data();
  const Ctor = arrayTypeOf(dtype);
  const out = new Ctor(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = BigInt(Math.trunc(v));
    else out[i] = v;
  }
  return { dtype, shape, values: out };
}
