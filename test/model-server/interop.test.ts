// The same SavedModel (proto/'s graph builder) gives the same detections over REST, over gRPC and
// from real TensorFlow (tf.saved_model.load), within 1e-4; and TF Serving's own Python stubs
// (tensorflow_serving.apis over grpcio) talk to our gRPC server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PredictRequestSchema, type PredictResponse } from "@boxloop/proto/gen/tensorflow_serving/apis/predict_pb";
import { DataType, fromTensorProto, toTensorProto } from "@boxloop/proto/tensor";
import { create } from "@bufbuild/protobuf";
import sharp from "sharp";
import { referee } from "../support/referee.ts";
import { writeConvDetector } from "./conv-detector.ts";
import {
  flat,
  getJson,
  grpcCall,
  maxDiff,
  nestedPixels,
  type Photo,
  postJson,
  raccoonPhoto,
  startTestServer,
  type TestServer,
  tempDir,
} from "./harness.ts";

const outputs = ["detection_boxes", "detection_scores", "detection_classes", "num_detections"];

const script = `
import sys, json
import numpy as np
import tensorflow as tf
import grpc
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_service_pb2_grpc

model_dir, pixels_path, h, w, address = sys.argv[1:6]
img = np.fromfile(pixels_path, dtype=np.uint8).reshape(1, int(h), int(w), 3)
fn = tf.saved_model.load(model_dir).signatures["serving_default"]
reference = {k: v.numpy().reshape(-1).tolist() for k, v in fn(input_tensor=tf.constant(img)).items()}

channel = grpc.insecure_channel(address)
stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
req = predict_pb2.PredictRequest()
req.model_spec.name = "detector"
req.model_spec.signature_name = "serving_default"
req.inputs["input_tensor"].CopyFrom(tf.make_tensor_proto(img))
res = stub.Predict(req, timeout=120)
served = {k: tf.make_ndarray(v).reshape(-1).tolist() for k, v in res.outputs.items()}

meta_req = get_model_metadata_pb2.GetModelMetadataRequest()
meta_req.model_spec.name = "detector"
meta_req.metadata_field.append("signature_def")
meta = stub.GetModelMetadata(meta_req, timeout=30)
sigs = get_model_metadata_pb2.SignatureDefMap()
assert meta.metadata["signature_def"].Unpack(sigs)
sig = sigs.signature_def["serving_default"]

status_req = get_model_status_pb2.GetModelStatusRequest()
status_req.model_spec.name = "detector"
status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(status_req, timeout=30)

missing = predict_pb2.PredictRequest()
missing.model_spec.name = "nope"
missing.inputs["input_tensor"].CopyFrom(tf.make_tensor_proto(img))
try:
    stub.Predict(missing, timeout=30)
    missing_code = "OK"
except grpc.RpcError as e:
    missing_code = e.code().name

print(json.dumps({
    "reference": reference,
    "served": served,
    "version": res.model_spec.version.value,
    "signature": res.model_spec.signature_name,
    "inputs": {k: [v.name, tf.dtypes.as_dtype(v.dtype).name, [d.size for d in v.tensor_shape.dim]] for k, v in sig.inputs.items()},
    "method": sig.method_name,
    "status": [[s.version, get_model_status_pb2.ModelVersionStatus.State.Name(s.state), s.status.error_code] for s in status.model_version_status],
    "missing": missing_code,
}))
`;

function runPython(args: string[]): Promise<string> {
  const { python } = referee();
  return new Promise((resolve, reject) =>
    execFile(
      python,
      ["-c", script, ...args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2", CUDA_VISIBLE_DEVICES: "" } },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
}

let server: TestServer;
let base: string;
let photo: Photo;

before(async () => {
  base = await tempDir();
  await writeConvDetector(join(base, "1"), { seed: 7 });
  photo = await raccoonPhoto("raccoon-1.jpg", 320);
  server = await startTestServer(base);
});
after(() => server.close());

test("REST (row, columnar, b64 JPEG), gRPC, TF Serving's Python stubs and real TensorFlow agree within 1e-4", async () => {
  const url = `${server.rest}/v1/models/detector:predict`;
  const row = await postJson(url, { instances: [nestedPixels(photo)] });
  assert.equal(row.status, 200, JSON.stringify(row.json));
  const rowOut = (row.json.predictions as Record<string, unknown>[])[0]!;
  assert.deepEqual(Object.keys(rowOut).sort(), [...outputs].sort());

  const columnar = await postJson(url, { inputs: { input_tensor: [nestedPixels(photo)] } });
  assert.equal(columnar.status, 200);
  const colOut = columnar.json.outputs as Record<string, unknown>;

  // A PNG of the very pixels decodes to them exactly: the same answer as the pixels themselves.
  const png = await sharp(photo.pixels, { raw: { width: photo.width, height: photo.height, channels: 3 } })
    .png()
    .toBuffer();
  const fromPng = await postJson(url, { instances: [{ b64: png.toString("base64") }] });
  assert.equal(fromPng.status, 200, JSON.stringify(fromPng.json));
  assert.deepEqual(fromPng.json, row.json);

  const encoded = await postJson(url, { instances: [{ b64: Buffer.from(photo.jpeg).toString("base64") }] });
  assert.equal(encoded.status, 200, JSON.stringify(encoded.json));
  const encOut = (encoded.json.predictions as Record<string, unknown>[])[0]!;

  const request = create(PredictRequestSchema, {
    modelSpec: { name: "detector" },
    inputs: {
      input_tensor: toTensorProto({
        dtype: DataType.DT_UINT8,
        shape: [1, photo.height, photo.width, 3],
        values: photo.pixels,
      }),
    },
  });
  const [error, response] = await grpcCall(server.grpcAddress, "prediction", "predict", request);
  assert.equal(error, null);
  const grpcOut = (response as PredictResponse).outputs;
  const choice = (response as PredictResponse).modelSpec?.versionChoice;
  assert.equal(choice?.case === "version" ? choice.value.value : undefined, 1n);

  const pixelsPath = join(base, "pixels.bin");
  await writeFile(pixelsPath, photo.pixels);
  const py = JSON.parse(
    await runPython([join(base, "1"), pixelsPath, String(photo.height), String(photo.width), server.grpcAddress]),
  ) as {
    reference: Record<string, number[]>;
    served: Record<string, number[]>;
    version: number;
    signature: string;
    inputs: Record<string, [string, string, number[]]>;
    method: string;
    status: [number, string, number][];
    missing: string;
  };

  for (const name of outputs) {
    const tf = py.reference[name]!;
    assert.ok(tf.length > 0);
    const candidates: [string, ArrayLike<number>][] = [
      ["REST row", flat(rowOut[name])],
      ["REST columnar", flat(colOut[name])],
      ["REST b64 JPEG", flat(encOut[name])],
      ["gRPC", fromTensorProto(grpcOut[name]!).values as Float32Array],
      ["gRPC via tensorflow_serving stubs", py.served[name]!],
    ];
    for (const [how, values] of candidates) {
      const d = maxDiff(values, tf);
      assert.ok(d <= 1e-4, `${name} over ${how} differs from TensorFlow by ${d}`);
    }
  }
  // The scores depend on the image: a constant model would pass the comparison trivially.
  const scores = py.reference.detection_scores!;
  assert.ok(Math.max(...scores) - Math.min(...scores) > 1e-3, "scores vary across the image");

  assert.equal(py.version, 1);
  assert.equal(py.signature, "serving_default");
  assert.deepEqual(py.inputs, { input_tensor: ["input_tensor:0", "uint8", [1, -1, -1, 3]] });
  assert.equal(py.method, "tensorflow/serving/predict");
  assert.deepEqual(py.status, [[1, "AVAILABLE", 0]]);
  assert.equal(py.missing, "NOT_FOUND");
});

test("status and metadata answer in TF Serving's JSON shapes", async () => {
  const status = await getJson(`${server.rest}/v1/models/detector`);
  assert.deepEqual(status.json, {
    model_version_status: [{ version: "1", state: "AVAILABLE", status: { error_code: "OK", error_message: "" } }],
  });
  const meta = await getJson(`${server.rest}/v1/models/detector/versions/1/metadata`);
  assert.equal(meta.status, 200);
  assert.deepEqual(meta.json.model_spec, { name: "detector", signature_name: "", version: "1" });
  const sig = (meta.json.metadata as { signature_def: { signature_def: Record<string, Record<string, unknown>> } })
    .signature_def.signature_def.serving_default!;
  assert.equal(sig.method_name, "tensorflow/serving/predict");
  const input = (
    sig.inputs as Record<string, { dtype: string; name: string; tensor_shape: { dim: { size: string }[] } }>
  ).input_tensor!;
  assert.equal(input.dtype, "DT_UINT8");
  assert.equal(input.name, "input_tensor:0");
  assert.deepEqual(
    input.tensor_shape.dim.map((d) => d.size),
    ["1", "-1", "-1", "3"],
  );
  const metrics = await (await fetch(`${server.rest}/monitoring/prometheus/metrics`)).text();
  assert.match(metrics, /:tensorflow:serving:request_count\{model_name="detector",status="OK"\} [1-9]/);
  assert.match(
    metrics,
    /:tensorflow:serving:request_latency_bucket\{model_name="detector",API="predict",entrypoint="REST",le="\+Inf"\} [1-9]/,
  );
  assert.match(metrics, /:tensorflow:serving:loaded_versions\{model_name="detector"\} 1/);
});
