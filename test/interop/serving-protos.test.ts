// Our TF Serving and SavedModel .proto subsets are wire-compatible with the official Python
// packages (tensorflow-serving-api, tensorflow): messages we encode parse there with the same field
// values, and messages they encode parse here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { anyPack, Int64ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "../../proto/src/gen/tensorflow/core/protobuf/error_codes_pb.ts";
import {
  GetModelMetadataResponseSchema,
  SignatureDefMapSchema,
} from "../../proto/src/gen/tensorflow_serving/apis/get_model_metadata_pb.ts";
import {
  GetModelStatusResponseSchema,
  ModelVersionStatus_State,
} from "../../proto/src/gen/tensorflow_serving/apis/get_model_status_pb.ts";
import { PredictRequestSchema, PredictResponseSchema } from "../../proto/src/gen/tensorflow_serving/apis/predict_pb.ts";
import { ModelServerConfigSchema } from "../../proto/src/gen/tensorflow_serving/config/model_server_config_pb.ts";
import { GraphBuilder } from "../../proto/src/graph-builder.ts";
import { signatureDef } from "../../proto/src/saved-model-writer.ts";
import { DataType, fromTensorProto, tensor, toTensorProto } from "../../proto/src/tensor.ts";
import { referee } from "../support/referee.ts";

/** argv: module.Message ; stdin: base64 of a message; prints it in text format. */
const toText = `
import base64, importlib, sys
from google.protobuf import text_format
mod, name = sys.argv[1].rsplit(".", 1)
msg = getattr(importlib.import_module(mod), name)()
msg.ParseFromString(base64.b64decode(sys.stdin.read()))
print(text_format.MessageToString(msg))
`;

function inPython<D extends DescMessage>(schema: D, message: MessageShape<D>, pyMessage: string): string {
  return referee().run(toText, [pyMessage], Buffer.from(toBinary(schema, message)).toString("base64"));
}

test("PredictRequest/Response with a uint8 image and float outputs parse in tensorflow-serving-api", () => {
  const image = tensor(
    DataType.DT_UINT8,
    [1, 2, 2, 3],
    Uint8Array.from({ length: 12 }, (_, i) => i * 20),
  );
  const request = create(PredictRequestSchema, {
    modelSpec: {
      name: "raccoon",
      versionChoice: { case: "version", value: create(Int64ValueSchema, { value: 7n }) },
      signatureName: "serving_default",
    },
    inputs: { input_tensor: toTensorProto(image) },
    outputFilter: ["detection_boxes"],
  });
  const text = inPython(PredictRequestSchema, request, "tensorflow_serving.apis.predict_pb2.PredictRequest");
  assert.match(
    text,
    /model_spec \{\s+name: "raccoon"\s+version \{\s+value: 7\s+\}\s+signature_name: "serving_default"/,
  );
  assert.match(text, /key: "input_tensor"\s+value \{\s+dtype: DT_UINT8\s+tensor_shape \{\s+dim \{\s+size: 1/);
  assert.match(text, /output_filter: "detection_boxes"/);
  const response = create(PredictResponseSchema, {
    outputs: { detection_scores: toTensorProto(tensor(DataType.DT_FLOAT, [1, 2], Float32Array.of(0.5, 0.25))) },
  });
  const r = inPython(PredictResponseSchema, response, "tensorflow_serving.apis.predict_pb2.PredictResponse");
  assert.match(r, /key: "detection_scores"\s+value \{\s+dtype: DT_FLOAT/);
});

test("GetModelStatusResponse, GetModelMetadataResponse and ModelServerConfig parse in tensorflow-serving-api", () => {
  const status = create(GetModelStatusResponseSchema, {
    modelVersionStatus: [
      { version: 3n, state: ModelVersionStatus_State.AVAILABLE, status: { errorCode: Code.OK } },
      { version: 2n, state: ModelVersionStatus_State.END, status: { errorCode: Code.NOT_FOUND, errorMessage: "gone" } },
    ],
  });
  const s = inPython(
    GetModelStatusResponseSchema,
    status,
    "tensorflow_serving.apis.get_model_status_pb2.GetModelStatusResponse",
  );
  assert.match(s, /version: 3\s+state: AVAILABLE\s+status \{\s+\}/);
  assert.match(s, /version: 2\s+state: END\s+status \{\s+error_code: NOT_FOUND\s+error_message: "gone"/);

  const g = new GraphBuilder();
  const x = g.placeholder("input_tensor", DataType.DT_UINT8, [1, -1, -1, 3]);
  const sig = signatureDef({ inputs: { input_tensor: { output: x, shape: [1, -1, -1, 3] } }, outputs: {} });
  const metadata = create(GetModelMetadataResponseSchema, {
    modelSpec: { name: "raccoon" },
    metadata: {
      signature_def: anyPack(
        SignatureDefMapSchema,
        create(SignatureDefMapSchema, { signatureDef: { serving_default: sig } }),
      ),
    },
  });
  const m = inPython(
    GetModelMetadataResponseSchema,
    metadata,
    "tensorflow_serving.apis.get_model_metadata_pb2.GetModelMetadataResponse",
  );
  // Python resolves the Any, so its type URL and contents are right.
  assert.match(
    m,
    /\[type.googleapis.com\/tensorflow.serving.SignatureDefMap\] \{\s+signature_def \{\s+key: "serving_default"/,
  );
  assert.match(m, /name: "input_tensor:0"\s+dtype: DT_UINT8/);
  assert.match(m, /method_name: "tensorflow\/serving\/predict"/);

  const config = create(ModelServerConfigSchema, {
    config: {
      case: "modelConfigList",
      value: {
        config: [
          {
            name: "raccoon",
            basePath: "/models/raccoon",
            modelPlatform: "tensorflow",
            modelVersionPolicy: { policyChoice: { case: "specific", value: { versions: [2n, 3n] } } },
            versionLabels: { stable: 2n },
          },
        ],
      },
    },
  });
  const c = inPython(
    ModelServerConfigSchema,
    config,
    "tensorflow_serving.config.model_server_config_pb2.ModelServerConfig",
  );
  assert.match(c, /name: "raccoon"\s+base_path: "\/models\/raccoon"\s+model_platform: "tensorflow"/);
  assert.match(c, /model_version_policy \{\s+specific \{\s+versions: 2\s+versions: 3/);
  assert.match(c, /version_labels \{\s+key: "stable"\s+value: 2/);
});

test("a PredictResponse encoded by tensorflow-serving-api parses here", () => {
  const script = `
import base64, sys
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
r = predict_pb2.PredictResponse()
r.model_spec.name = "raccoon"
r.model_spec.version.value = 5
r.outputs["detection_boxes"].CopyFrom(tf.make_tensor_proto([[[0.1, 0.2, 0.3, 0.4]]], dtype=tf.float32))
r.outputs["num_detections"].CopyFrom(tf.make_tensor_proto([1.0], dtype=tf.float32))
sys.stdout.write(base64.b64encode(r.SerializeToString()).decode())
`;
  const bytes = Buffer.from(referee().run(script), "base64");
  const r = fromBinary(PredictResponseSchema, bytes);
  assert.equal(r.modelSpec?.name, "raccoon");
  assert.equal(r.modelSpec?.versionChoice.case, "version");
  const boxes = fromTensorProto(r.outputs.detection_boxes!);
  assert.deepEqual(boxes.shape, [1, 1, 4]);
  assert.deepEqual(
    [...(boxes.values as Float32Array)].map((v) => Math.round(v * 10)),
    [1, 2, 3, 4],
  );
  assert.deepEqual(fromTensorProto(r.outputs.num_detections!).values, Float32Array.of(1));
});
