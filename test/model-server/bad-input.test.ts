// Bad requests get TF Serving's errors ({"error": "…"} with its HTTP codes over REST, its status
// codes over gRPC), and the server keeps serving after each.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { GetModelMetadataRequestSchema } from "@boxloop/proto/gen/tensorflow_serving/apis/get_model_metadata_pb";
import { PredictRequestSchema } from "@boxloop/proto/gen/tensorflow_serving/apis/predict_pb";
import { DataType, type HostTensor, toTensorProto } from "@boxloop/proto/tensor";
import { create } from "@bufbuild/protobuf";
import { status as grpcStatus } from "@grpc/grpc-js";
import { writeConvDetector } from "./conv-detector.ts";
import { getJson, grpcCall, postJson, startTestServer, type TestServer, tempDir } from "./harness.ts";

let server: TestServer;
const maxRequestBytes = 256 * 1024;
const pixel = [[[10, 20, 30]]];
const predictUrl = () => `${server.rest}/v1/models/detector:predict`;

before(async () => {
  const base = await tempDir();
  await writeConvDetector(join(base, "1"));
  server = await startTestServer(base, { maxRequestBytes });
});
after(() => server.close());

async function restError(url: string, body: unknown, status: number, message: RegExp | string) {
  const res = await postJson(url, body);
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.deepEqual(Object.keys(res.json), ["error"]);
  if (typeof message === "string") assert.equal(res.json.error, message);
  else assert.match(String(res.json.error), message);
}

async function grpcError(model: string, input: HostTensor, code: number, message: RegExp, version?: number) {
  const request = create(PredictRequestSchema, {
    modelSpec: {
      name: model,
      ...(version === undefined ? {} : { versionChoice: { case: "version", value: { value: BigInt(version) } } }),
    },
    inputs: { input_tensor: toTensorProto(input) },
  });
  const [error] = await grpcCall(server.grpcAddress, "prediction", "predict", request);
  assert.ok(error, "the call fails");
  assert.equal(error.code, code, `${grpcStatus[error.code]}: ${error.details}`);
  assert.match(error.details, message);
}

const uint8 = (shape: number[]) => ({
  dtype: DataType.DT_UINT8,
  shape,
  values: new Uint8Array(shape.reduce((a, b) => a * b, 1)),
});

test("wrong dtype", async () => {
  await restError(
    predictUrl(),
    { instances: [[[[0.5, 1, 2]]]] },
    400,
    /JSON Value: 0\.5 Type: Number is not of expected type: uint8/,
  );
  await restError(
    predictUrl(),
    { instances: [[[["a", "b", "c"]]]] },
    400,
    /Type: String is not of expected type: uint8/,
  );
  await grpcError(
    "detector",
    { dtype: DataType.DT_FLOAT, shape: [1, 1, 1, 3], values: new Float32Array(3) },
    grpcStatus.INVALID_ARGUMENT,
    /Expects arg\[0\] to be uint8 but float is provided/,
  );
});

test("wrong rank", async () => {
  await restError(
    predictUrl(),
    { instances: [[10, 20, 30]] },
    400,
    /must have shape \[1,-1,-1,3\] but the request gave \[1,3\]/,
  );
  await restError(predictUrl(), { instances: [[[[1, 2, 3]], [[1, 2]]]] }, 400, /Encountered list at unexpected size/);
  await grpcError("detector", uint8([4, 4, 3]), grpcStatus.INVALID_ARGUMENT, /must have shape \[1,-1,-1,3\]/);
});

test("an encoded image that is not an image", async () => {
  const b64 = Buffer.from("certainly not a JPEG").toString("base64");
  await restError(predictUrl(), { instances: [{ b64 }] }, 400, /Unknown image file format/);
  await restError(predictUrl(), { instances: [{ b64: "%%%not base64%%%" }] }, 400, /Error: Unable to base64 decode$/);
  const truncated = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]).toString("base64");
  await restError(predictUrl(), { instances: [{ b64: truncated }] }, 400, /Invalid image data/);
  await grpcError(
    "detector",
    { dtype: DataType.DT_STRING, shape: [1], values: [new TextEncoder().encode("nope")] },
    grpcStatus.INVALID_ARGUMENT,
    /Unknown image file format/,
  );
});

test("unknown model, version and label", async () => {
  await restError(
    `${server.rest}/v1/models/nope:predict`,
    { instances: [pixel] },
    404,
    "Servable not found for request: Latest(nope)",
  );
  await restError(
    `${server.rest}/v1/models/detector/versions/7:predict`,
    { instances: [pixel] },
    404,
    "Servable not found for request: Specific(detector, 7)",
  );
  await restError(
    `${server.rest}/v1/models/detector/labels/stable:predict`,
    { instances: [pixel] },
    400,
    "Unrecognized servable version label: stable",
  );
  const status = await getJson(`${server.rest}/v1/models/detector/versions/7`);
  assert.equal(status.status, 404);
  assert.equal(status.json.error, "Could not find version 7 of model detector");
  const missing = await getJson(`${server.rest}/v1/models/nope`);
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error, "Could not find any versions of model nope");
  const noName = await getJson(`${server.rest}/v1/models`);
  assert.equal(noName.status, 400);
  assert.equal(noName.json.error, "Missing model name in request.");
  await grpcError("nope", uint8([1, 1, 1, 3]), grpcStatus.NOT_FOUND, /Servable not found for request: Latest\(nope\)/);
  await grpcError("detector", uint8([1, 1, 1, 3]), grpcStatus.NOT_FOUND, /Specific\(detector, 7\)/, 7);
  const [metaError] = await grpcCall(
    server.grpcAddress,
    "prediction",
    "getModelMetadata",
    create(GetModelMetadataRequestSchema, { modelSpec: { name: "detector" } }),
  );
  assert.equal(metaError?.code, grpcStatus.INVALID_ARGUMENT);
  assert.match(metaError!.details, /must specify at least one metadata_field/);
});

test("malformed bodies and methods a predict-only model has not", async () => {
  await restError(predictUrl(), "{not json", 400, /^JSON Parse error/);
  await restError(predictUrl(), "", 400, "JSON Parse error: The document is empty");
  await restError(predictUrl(), { something: 1 }, 400, "Missing 'inputs' or 'instances' key");
  await restError(predictUrl(), { instances: [] }, 400, /No values in 'instances' array/);
  await restError(predictUrl(), { instances: [pixel], inputs: [pixel] }, 400, /only one of 'inputs' or 'instances'/);
  await restError(
    predictUrl(),
    { instances: [pixel], signature_name: "other" },
    400,
    /Serving signature name: "other" not found/,
  );
  await restError(
    `${server.rest}/v1/models/detector:classify`,
    { examples: [{ x: 1 }] },
    400,
    /Expected classification signature method_name to be tensorflow\/serving\/classify. Was: tensorflow\/serving\/predict/,
  );
  const get = await fetch(predictUrl());
  assert.equal(get.status, 400);
  assert.match(((await get.json()) as { error: string }).error, /^Malformed request: GET/);
});

test("an oversized body", async () => {
  const big = { instances: [Array.from({ length: 200 }, () => Array.from({ length: 200 }, () => [255, 255, 255]))] };
  await restError(predictUrl(), big, 413, new RegExp(`larger than ${maxRequestBytes} bytes`));
  await grpcError("detector", uint8([1, 300, 300, 3]), grpcStatus.RESOURCE_EXHAUSTED, /./);
});

test("output_filter keeps the named outputs and rejects unknown ones", async () => {
  const request = (filter: string[]) =>
    create(PredictRequestSchema, {
      modelSpec: { name: "detector" },
      inputs: { input_tensor: toTensorProto(uint8([1, 2, 2, 3])) },
      outputFilter: filter,
    });
  const [error, response] = await grpcCall(server.grpcAddress, "prediction", "predict", request(["num_detections"]));
  assert.equal(error, null);
  assert.deepEqual(Object.keys((response as { outputs: object }).outputs), ["num_detections"]);
  const [bad] = await grpcCall(server.grpcAddress, "prediction", "predict", request(["bogus"]));
  assert.equal(bad?.code, grpcStatus.INVALID_ARGUMENT);
  assert.match(bad!.details, /output tensor alias not found in signature: bogus/);
});

test("a client that drops the connection mid-body does not disturb the server", async () => {
  const { request } = await import("node:http");
  await new Promise<void>((resolve) => {
    const req = request(predictUrl(), { method: "POST", headers: { "content-length": "100000" } });
    req.on("error", () => resolve());
    req.write('{"instances": [[[[1,');
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 50);
  });
});

test("the server still serves after all of that", async () => {
  const ok = await postJson(predictUrl(), { instances: [pixel] });
  assert.equal(ok.status, 200);
  assert.equal((ok.json.predictions as unknown[]).length, 1);
});
