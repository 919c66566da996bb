// TF Serving's gRPC API (PredictionService, ModelService) with the generated protobuf-es messages.

import { DataType } from "@boxloop/proto/gen/tensorflow/core/framework/types_pb";
import { Code } from "@boxloop/proto/gen/tensorflow/core/protobuf/error_codes_pb";
import {
  GetModelStatusRequestSchema,
  type GetModelStatusResponse,
  ModelVersionStatus_State,
} from "@boxloop/proto/gen/tensorflow_serving/apis/get_model_status_pb";
import { ModelService } from "@boxloop/proto/gen/tensorflow_serving/apis/model_service_pb";
import { PredictRequestSchema, type PredictResponse } from "@boxloop/proto/gen/tensorflow_serving/apis/predict_pb";
import { PredictionService } from "@boxloop/proto/gen/tensorflow_serving/apis/prediction_service_pb";
import { fromTensorProto, toTensorProto } from "@boxloop/proto/tensor";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ModelServerError } from "./errors.ts";
import { grpcDefinition } from "./grpc-service.ts";
import type { OutputTensor, PredictCall, PredictReply, Transport, VersionStatus } from "./transport.ts";

const Prediction = grpc.makeGenericClientConstructor(grpcDefinition(PredictionService), "PredictionService");
const Models = grpc.makeGenericClientConstructor(grpcDefinition(ModelService), "ModelService");

type Unary = (
  req: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (e: grpc.ServiceError | null, res: unknown) => void,
) => void;

function invoke<T>(client: grpc.Client, method: string, request: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Unary>)[method]!.bind(client);
    fn(request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
      if (error) reject(new ModelServerError(grpc.status[error.code] ?? "UNKNOWN", error.details || error.message));
      else resolve(response as T);
    });
  });
}

export function grpcTransport(address: string): Transport {
  const credentials = grpc.credentials.createInsecure();
  const options = { "grpc.max_receive_message_length": -1, "grpc.max_send_message_length": -1 };
  const prediction = new Prediction(address, credentials, options);
  const models = new Models(address, credentials, options);
  return {
    async predict(c: PredictCall): Promise<PredictReply> {
      const input =
        c.image.kind === "pixels"
          ? toTensorProto({
              dtype: DataType.DT_UINT8,
              shape: [1, c.image.height, c.image.width, 3],
              values: c.image.data,
            })
          : toTensorProto({ dtype: DataType.DT_STRING, shape: [1], values: [c.image.bytes] });
      const request = create(PredictRequestSchema, {
        modelSpec: {
          name: c.model,
          signatureName: c.signatureName ?? "",
          ...(c.version === undefined
            ? {}
            : { versionChoice: { case: "version", value: { value: BigInt(c.version) } } }),
        },
        inputs: { [c.inputName ?? "input_tensor"]: input },
      });
      const response = await invoke<PredictResponse>(prediction, "predict", request, c.timeoutMs);
      const outputs: Record<string, OutputTensor> = {};
      for (const [name, proto] of Object.entries(response.outputs)) {
        const t = fromTensorProto(proto);
        outputs[name] = { shape: t.shape, values: t.values as ArrayLike<number> };
      }
      return { outputs };
    },
    async status(model: string, timeoutMs: number): Promise<VersionStatus[]> {
      const request = create(GetModelStatusRequestSchema, { modelSpec: { name: model } });
      const response = await invoke<GetModelStatusResponse>(models, "getModelStatus", request, timeoutMs);
      return response.modelVersionStatus
        .map((s) => ({
          version: Number(s.version),
          state: ModelVersionStatus_State[s.state] ?? "UNKNOWN",
          errorCode: Code[s.status?.errorCode ?? Code.OK] ?? "UNKNOWN",
          errorMessage: s.status?.errorMessage ?? "",
        }))
        .sort((a, b) => b.version - a.version);
    },
    close() {
      prediction.close();
      models.close();
    },
  };
}
