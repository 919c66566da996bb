// The models a server holds and the one way a prediction runs, shared by REST and gRPC: find the
// servable, check the request against its signature, decode encoded images, batch, run.
import type { BatchingParameters } from "./batcher.ts";
import { Batcher } from "./batcher.ts";
import type { HostTensor } from "./host-tensor.ts";
import { decodeImages } from "./image-input.ts";
import type { Metrics } from "./metrics.ts";
import type { ModelEntry } from "./model-config.ts";
import type { Servable } from "./servable.ts";
import type { ServedModel, VersionRequest } from "./served-model.ts";
import { invalidArgument, notFound, ServingError } from "./serving-error.ts";
import { checkInput, defaultSignature, isImageInput, type SignatureSpec, type TensorSpec } from "./signature.ts";

export interface PredictCall extends VersionRequest {
  model: string;
  signatureName: string;
  inputs: Record<string, HostTensor>;
  outputFilter?: string[];
}

export interface PredictResult {
  version: number;
  signatureName: string;
  outputs: Record<string, HostTensor>;
}

function signatureOf(servable: Servable, name: string): { name: string; spec: SignatureSpec } {
  const sigName = name || defaultSignature;
  const spec = servable.signatures[sigName];
  if (!spec) throw invalidArgument(`Serving signature name: "${sigName}" not found in signature def`);
  return { name: sigName, spec };
}

const list = (names: string[]) => `{${names.sort().join(",")}}`;

export class ServerCore {
  readonly models = new Map<string, ServedModel>();
  /** Replaces the served models (set by startModelServer; used by HandleReloadConfigRequest). */
  reloadConfig: (entries: ModelEntry[]) => Promise<void> = async () => {
    throw new ServingError("UNIMPLEMENTED", "this server cannot reload its config");
  };
  private readonly batchers = new WeakMap<Servable, Batcher>();

  constructor(
    private readonly batching: BatchingParameters | undefined,
    readonly metrics: Metrics,
  ) {
    metrics.loadedVersions = () =>
      Object.fromEntries([...this.models].map(([name, m]) => [name, m.availableVersions().sort((a, b) => a - b)]));
  }

  model(name: string, what: VersionRequest): ServedModel {
    const model = this.models.get(name);
    if (!model) {
      const spec =
        what.version !== undefined
          ? `Specific(${name}, ${what.version})`
          : what.label !== undefined
            ? `Specific(${name}, ${what.label})`
            : `Latest(${name})`;
      throw notFound(`Servable not found for request: ${spec}`);
    }
    return model;
  }

  /** The input specs of a signature (for parsing JSON against it). */
  inputSpecs(model: string, what: VersionRequest, signatureName: string): Record<string, TensorSpec> {
    const handle = this.model(model, what).acquire(what);
    try {
      return signatureOf(handle.servable, signatureName).spec.inputs;
    } finally {
      handle.release();
    }
  }

  /** The signature a classify/regress call would use, to answer as TF Serving does for a predict-only model. */
  checkMethod(model: string, what: VersionRequest, signatureName: string, method: "classify" | "regress"): never {
    const handle = this.model(model, what).acquire(what);
    try {
      const { spec } = signatureOf(handle.servable, signatureName);
      throw invalidArgument(
        `Expected ${method === "classify" ? "classification" : "regression"} signature method_name to be tensorflow/serving/${method}. Was: ${spec.methodName}`,
      );
    } finally {
      handle.release();
    }
  }

  async predict(call: PredictCall): Promise<PredictResult> {
    const handle = this.model(call.model, call).acquire(call);
    try {
      const { name, spec } = signatureOf(handle.servable, call.signatureName);
      const sent = Object.keys(call.inputs);
      const wanted = Object.keys(spec.inputs);
      const extra = sent.filter((k) => !(k in spec.inputs));
      const missing = wanted.filter((k) => !(k in call.inputs));
      if (extra.length || missing.length) {
        throw invalidArgument(
          `input size does not match signature: ${sent.length}!=${wanted.length} len(${list(sent)}) != len(${list(wanted)}). Sent extra: ${list(extra)}. Missing but required: ${list(missing)}.`,
        );
      }
      const inputs: Record<string, HostTensor> = {};
      for (const [i, alias] of wanted.sort().entries()) {
        let tensor = call.inputs[alias]!;
        if (tensor.dtype === "DT_STRING" && isImageInput(spec.inputs[alias]!)) tensor = await decodeImages(tensor);
        checkInput(alias, spec.inputs[alias]!, tensor, i);
        inputs[alias] = tensor;
      }
      const filter = call.outputFilter?.length ? call.outputFilter : undefined;
      for (const alias of filter ?? []) {
        if (!(alias in spec.outputs)) {
          throw invalidArgument(
            `output tensor alias not found in signature: ${alias} Outputs expected to be in the set ${list(Object.keys(spec.outputs))}.`,
          );
        }
      }
      const outputs = await this.run(handle.servable, name, inputs);
      const kept = filter ? Object.fromEntries(filter.map((k) => [k, outputs[k]!])) : outputs;
      return { version: handle.version, signatureName: name, outputs: kept };
    } finally {
      handle.release();
    }
  }

  private run(servable: Servable, signatureName: string, inputs: Record<string, HostTensor>) {
    if (!this.batching) return servable.run(signatureName, inputs);
    let batcher = this.batchers.get(servable);
    if (!batcher) {
      batcher = new Batcher((sig, ins) => servable.run(sig, ins), servable.signatures, this.batching);
      this.batchers.set(servable, batcher);
    }
    return batcher.submit(signatureName, inputs);
  }

  async close(): Promise<void> {
    await Promise.all([...this.models.values()].map((m) => m.close()));
  }
}
