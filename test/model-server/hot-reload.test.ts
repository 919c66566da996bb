// Hot reload: with the server polling every second, a new version written beside the served one
// is AVAILABLE (and the old one END) within two poll intervals, while a client looping on predict
// over REST and gRPC never sees a failure.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PredictRequestSchema, type PredictResponse } from "@boxloop/proto/gen/tensorflow_serving/apis/predict_pb";
import { DataType, toTensorProto } from "@boxloop/proto/tensor";
import { create } from "@bufbuild/protobuf";
import { writeConvDetector } from "./conv-detector.ts";
import {
  getJson,
  grpcCall,
  nestedPixels,
  type Photo,
  postJson,
  raccoonPhoto,
  startTestServer,
  type TestServer,
  tempDir,
} from "./harness.ts";

const pollSeconds = 1;
let server: TestServer;
let base: string;
let photo: Photo;

before(async () => {
  base = await tempDir();
  await writeConvDetector(join(base, "1"), { seed: 1 });
  photo = await raccoonPhoto("raccoon-2.jpg", 64);
  server = await startTestServer(base, { fileSystemPollWaitSeconds: pollSeconds });
});
after(() => server.close());

test("a new version replaces the old within two poll intervals and no request fails meanwhile", async () => {
  const restBody = { instances: [nestedPixels(photo)] };
  const grpcRequest = create(PredictRequestSchema, {
    modelSpec: { name: "detector" },
    inputs: {
      input_tensor: toTensorProto({
        dtype: DataType.DT_UINT8,
        shape: [1, photo.height, photo.width, 3],
        values: photo.pixels,
      }),
    },
  });
  const failures: string[] = [];
  const versionsSeen = new Set<string>();
  let calls = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const rest = await postJson(`${server.rest}/v1/models/detector:predict`, restBody);
      if (rest.status !== 200) failures.push(`REST ${rest.status} ${JSON.stringify(rest.json)}`);
      const [error, response] = await grpcCall(server.grpcAddress, "prediction", "predict", grpcRequest);
      if (error) failures.push(`gRPC ${error.code} ${error.details}`);
      else {
        const choice = (response as PredictResponse).modelSpec?.versionChoice;
        if (choice?.case === "version") versionsSeen.add(String(choice.value.value));
      }
      calls += 2;
    }
  })();

  await new Promise((r) => setTimeout(r, 300));
  await writeConvDetector(join(base, "2"), { seed: 2 });
  const written = performance.now();
  let switchedAfter = Number.POSITIVE_INFINITY;
  while (performance.now() - written < 4 * pollSeconds * 1000) {
    const { json } = await getJson(`${server.rest}/v1/models/detector`);
    const states = Object.fromEntries(
      (json.model_version_status as { version: string; state: string }[]).map((s) => [s.version, s.state]),
    );
    if (states["2"] === "AVAILABLE" && states["1"] === "END") {
      switchedAfter = performance.now() - written;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await loop;

  assert.ok(switchedAfter <= 2 * pollSeconds * 1000, `switched after ${switchedAfter} ms`);
  assert.deepEqual(failures, []);
  assert.ok(calls >= 6, `only ${calls} calls made`);
  assert.deepEqual([...versionsSeen].sort(), ["1", "2"], "served by v1, then by v2");
  const { json } = await getJson(`${server.rest}/v1/models/detector`);
  assert.deepEqual(json.model_version_status, [
    { version: "2", state: "AVAILABLE", status: { error_code: "OK", error_message: "" } },
    { version: "1", state: "END", status: { error_code: "OK", error_message: "" } },
  ]);
});
