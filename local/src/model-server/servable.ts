// A loaded model version: its signatures and a way to run one. The loader that builds it from a
// SavedModel directory lives in saved-model-servable.ts; tests and benchmarks may pass their own.
import type { HostTensor } from "./host-tensor.ts";
import type { SignatureSpec } from "./signature.ts";

export interface Servable {
  signatures: Record<string, SignatureSpec>;
  /** The SignatureDefMap message (binary) that GetModelMetadata returns, packed into an Any. */
  signatureDefMap(): { typeName: string; binary: Uint8Array; json: unknown };
  run(signatureName: string, inputs: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
  dispose(): void;
}

export type ServableLoader = (dir: string) => Promise<Servable>;
