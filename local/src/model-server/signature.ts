// What the server needs to know of a SavedModel signature: aliases, graph tensor names, dtypes and
// shapes (undefined when the rank is unknown; -1 for an unknown dimension).
import { type DType, dtypeString, type HostTensor, shapeString } from "./host-tensor.ts";
import { invalidArgument } from "./serving-error.ts";

export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: number[] | undefined;
}

export interface SignatureSpec {
  methodName: string;
  inputs: Record<string, TensorSpec>;
  outputs: Record<string, TensorSpec>;
}

export const defaultSignature = "serving_default";

/** A uint8 `[n, h, w, 3]` input: the server also accepts encoded JPEG/PNG bytes for it. */
export function isImageInput(spec: TensorSpec): boolean {
  return spec.dtype === "DT_UINT8" && spec.shape?.length === 4 && (spec.shape[3] === 3 || spec.shape[3] === -1);
}

/** Rejects a tensor whose dtype or shape the signature cannot take, with the error TensorFlow gives. */
export function checkInput(alias: string, spec: TensorSpec, tensor: HostTensor, index: number): void {
  if (tensor.dtype !== spec.dtype) {
    throw invalidArgument(
      `Expects arg[${index}] to be ${dtypeString(spec.dtype)} but ${dtypeString(tensor.dtype)} is provided`,
    );
  }
  const want = spec.shape;
  if (!want) return;
  const fits = tensor.shape.length === want.length && want.every((d, i) => d === -1 || d === tensor.shape[i]);
  if (!fits) {
    throw invalidArgument(
      `input '${alias}' (${spec.name}) must have shape ${shapeString(want)} but the request gave ${shapeString(tensor.shape)}`,
    );
  }
}
