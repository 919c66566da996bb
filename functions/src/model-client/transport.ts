// What a transport (REST or gRPC) does: one predict, one status call, with TF Serving's wire formats.
export type ImageInput =
  /** Decoded RGB pixels: a uint8 [1, h, w, 3] tensor, which any TF Serving takes. */
  | { kind: "pixels"; data: Uint8Array; width: number; height: number }
  /** Encoded JPEG/PNG bytes ({"b64"} or a DT_STRING tensor): boxloop serve, or an encoded-image signature. */
  | { kind: "encoded"; bytes: Uint8Array };

export interface PredictCall {
  model: string;
  version?: number | undefined;
  signatureName?: string | undefined;
  /** @default "input_tensor" */
  inputName?: string | undefined;
  image: ImageInput;
  timeoutMs: number;
}

export interface OutputTensor {
  shape: number[];
  values: ArrayLike<number>;
}

export interface PredictReply {
  outputs: Record<string, OutputTensor>;
}

export interface VersionStatus {
  version: number;
  state: string;
  errorCode: string;
  errorMessage: string;
}

export interface Transport {
  predict(call: PredictCall): Promise<PredictReply>;
  /** All versions of a model, newest first. */
  status(model: string, timeoutMs: number): Promise<VersionStatus[]>;
  close(): void;
}
