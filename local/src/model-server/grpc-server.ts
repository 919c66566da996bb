// TF Serving's gRPC API (port 8500) on @grpc/grpc-js with the generated protobuf-es messages:
// PredictionService/{Predict,GetModelMetadata} and ModelService/GetModelStatus.

import { grpcDefinition } from "@boxloop/functions/model-client/grpc-service";
import type { DataType } from "@boxloop/proto/gen/tensorflow/core/framework/types_pb";
import { Code as ErrorCode } from "@boxloop/proto/gen/tensorflow/core/protobuf/error_codes_pb";
import {
  type GetModelMetadataRequest,
  GetModelMetadataResponseSchema,
} from "@boxloop/proto/gen/tensorflow_serving/apis/get_model_metadata_pb";
import {
  type GetModelStatusRequest,
  GetModelStatusResponseSchema,
  ModelVersionStatus_State,
} from "@boxloop/proto/gen/tensorflow_serving/apis/get_model_status_pb";
import {
  type ReloadConfigRequest,
  ReloadConfigResponseSchema,
} from "@boxloop/proto/gen/tensorflow_serving/apis/model_management_pb";
import type { ModelSpec } from "@boxloop/proto/gen/tensorflow_serving/apis/model_pb";
import { ModelService } from "@boxloop/proto/gen/tensorflow_serving/apis/model_service_pb";
import { type PredictRequest, PredictResponseSchema } from "@boxloop/proto/gen/tensorflow_serving/apis/predict_pb";
import { PredictionService } from "@boxloop/proto/gen/tensorflow_serving/apis/prediction_service_pb";
import { ModelServerConfigSchema } from "@boxloop/proto/gen/tensorflow_serving/config/model_server_config_pb";
import { fromTensorProto, toTensorProto } from "@boxloop/proto/tensor";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { type DType, dtypeFromNumber, dtypeNumber, type HostTensor } from "./host-tensor.ts";
import { type ModelEntry, modelEntries } from "./model-config.ts";
import type { VersionRequest } from "./served-model.ts";
import type { ServerCore } from "./server-core.ts";
import { invalidArgument, notFound, toServingError } from "./serving-error.ts";

function versionRequest(spec: ModelSpec | undefined): { model: string } & VersionRequest {
  if (!spec) throw invalidArgument("Missing ModelSpec");
  const choice = spec.versionChoice;
  return {
    model: spec.name,
    version: choice.case === "version" ? Number(choice.value.value) : undefined,
    label: choice.case === "versionLabel" ? choice.value : undefined,
  };
}

export function fromProto(proto: Parameters<typeof fromTensorProto>[0]): HostTensor {
  const t = fromTensorProto(proto);
  return { dtype: dtypeFromNumber(t.dtype), shape: t.shape, values: t.values as HostTensor["values"] };
}

export function toProto(t: HostTensor) {
  return toTensorProto({ dtype: dtypeNumber[t.dtype as DType] as DataType, shape: t.shape, values: t.values });
}

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

function unary<Req, Res>(fn: (req: Req) => Promise<Res>): Unary<Req, Res> {
  return (call, callback) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (error: unknown) => {
        const e = toServingError(error);
        callback({ code: e.grpcCode, details: e.message, metadata: new grpc.Metadata() } as grpc.ServiceError);
      },
    );
  };
}

const stateNumber = {
  START: ModelVersionStatus_State.START,
  LOADING: ModelVersionStatus_State.LOADING,
  AVAILABLE: ModelVersionStatus_State.AVAILABLE,
  UNLOADING: ModelVersionStatus_State.UNLOADING,
  END: ModelVersionStatus_State.END,
} as const;

export function createGrpcServer(core: ServerCore, maxMessageBytes: number): grpc.Server {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": -1,
  });

  const predict = async (req: PredictRequest) => {
    const what = versionRequest(req.modelSpec);
    const started = performance.now();
    let ok = false;
    try {
      const inputs: Record<string, HostTensor> = {};
      for (const [alias, proto] of Object.entries(req.inputs)) {
        try {
          inputs[alias] = fromProto(proto);
        } catch (error) {
          throw invalidArgument(`input ${alias}: ${(error as Error).message}`);
        }
      }
      const result = await core.predict({
        ...what,
        signatureName: req.modelSpec?.signatureName ?? "",
        inputs,
        outputFilter: req.outputFilter,
      });
      ok = true;
      return create(PredictResponseSchema, {
        modelSpec: {
          name: what.model,
          versionChoice: { case: "version", value: { value: BigInt(result.version) } },
          signatureName: result.signatureName,
        },
        outputs: Object.fromEntries(Object.entries(result.outputs).map(([k, t]) => [k, toProto(t)])),
      });
    } finally {
      if (core.models.has(what.model)) {
        core.metrics.observe(what.model, "predict", "GRPC", ok, (performance.now() - started) * 1000);
      }
    }
  };

  const metadata = async (req: GetModelMetadataRequest) => {
    const what = versionRequest(req.modelSpec);
    if (req.metadataField.length === 0) {
      throw invalidArgument("GetModelMetadataRequest must specify at least one metadata_field");
    }
    for (const field of req.metadataField) {
      if (field !== "signature_def") throw invalidArgument(`Metadata field ${field} is not supported`);
    }
    const handle = core.model(what.model, what).acquire(what);
    try {
      const map = handle.servable.signatureDefMap();
      return create(GetModelMetadataResponseSchema, {
        modelSpec: {
          name: what.model,
          versionChoice: { case: "version", value: { value: BigInt(handle.version) } },
          signatureName: req.modelSpec?.signatureName ?? "",
        },
        metadata: {
          signature_def: create(AnySchema, { typeUrl: `type.googleapis.com/${map.typeName}`, value: map.binary }),
        },
      });
    } finally {
      handle.release();
    }
  };

  const status = async (req: GetModelStatusRequest) => {
    const what = versionRequest(req.modelSpec);
    const served = core.models.get(what.model);
    if (!served) throw notFound(`Could not find any versions of model ${what.model}`);
    return create(GetModelStatusResponseSchema, {
      modelVersionStatus: served.status(what.version).map((s) => ({
        version: BigInt(s.version),
        state: stateNumber[s.state],
        status: { errorCode: s.error ? ErrorCode[s.error.code] : ErrorCode.OK, errorMessage: s.error?.message ?? "" },
      })),
    });
  };

  server.addService(grpcDefinition(PredictionService), {
    predict: unary(predict),
    getModelMetadata: unary(metadata),
  });
  server.addService(grpcDefinition(ModelService), {
    getModelStatus: unary(status),
    handleReloadConfigRequest: unary(async (req: ReloadConfigRequest) => {
      let entries: ModelEntry[];
      try {
        entries = modelEntries(req.config ?? create(ModelServerConfigSchema), "ReloadConfigRequest");
      } catch (error) {
        throw invalidArgument((error as Error).message);
      }
      await core.reloadConfig(entries);
      return create(ReloadConfigResponseSchema, { status: { errorCode: ErrorCode.OK, errorMessage: "" } });
    }),
  });
  return server;
}
