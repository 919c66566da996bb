// `boxloop serve` as a process with tensorflow_model_server's flags; a ModelServerConfig with
// several models, version policies and labels; models discovered under a models root; and a base
// path on S3 (moto's server), mirrored into the cache.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ReloadConfigRequestSchema } from "@boxloop/proto/gen/tensorflow_serving/apis/model_management_pb";
import { ModelServerConfigSchema } from "@boxloop/proto/gen/tensorflow_serving/config/model_server_config_pb";
import { create } from "@bufbuild/protobuf";
import { fromText } from "@bufbuild/protobuf/txtpb";
import { readModelConfigFile } from "../../local/src/model-server/model-config.ts";
import { startMoto } from "../support/moto.ts";
import { writeConvDetector } from "./conv-detector.ts";
import { getJson, grpcCall, postJson, startTestServer, tempDir } from "./harness.ts";

const parseModelConfigMessage = (text: string) => fromText(ModelServerConfigSchema, text);

const tiny = { instances: [[[[10, 20, 30]]]] };
const root = join(import.meta.dirname, "..", "..");

test("boxloop serve: flags, --json ports, predictions, clean stop on SIGTERM; bad flags exit 2", async () => {
  const base = await tempDir();
  await writeConvDetector(join(base, "5"));
  const cli = (args: string[]) =>
    spawn(process.execPath, ["--import", "tsx", join(root, "local/bin/boxloop.mjs"), "serve", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
  const child = cli([
    "--model_name",
    "d",
    "--model-base-path",
    base,
    "--port",
    "0",
    "--rest_api_port",
    "0",
    "--host",
    "127.0.0.1",
    "--json",
  ]);
  const ports = await new Promise<{ grpcPort: number; restApiPort: number; models: string[] }>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", (line) => resolve(JSON.parse(line)));
    child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
  });
  assert.deepEqual(ports.models, ["d"]);
  const res = await postJson(`http://127.0.0.1:${ports.restApiPort}/v1/models/d/versions/5:predict`, tiny);
  assert.equal(res.status, 200);
  const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  assert.equal(await exit, 0);

  const bad = cli(["--model-base-path", base, "--port", "abc"]);
  let stderr = "";
  bad.stderr.on("data", (d) => (stderr += d));
  assert.equal(await new Promise((resolve) => bad.once("exit", resolve)), 2);
  assert.match(stderr, /--port must be an integer/);
});

test("a model config file: several models, latest{2}, specific versions and labels", async () => {
  const dir = await tempDir();
  for (const v of [1, 2, 3]) await writeConvDetector(join(dir, "a", String(v)), { seed: v });
  for (const v of [1, 2, 3]) await writeConvDetector(join(dir, "b", String(v)), { seed: 10 + v });
  const configPath = join(dir, "models.config");
  await writeFile(
    configPath,
    `model_config_list {
       config { name: "a" base_path: "${join(dir, "a")}" model_platform: "tensorflow"
                model_version_policy { latest { num_versions: 2 } } }
       config { name: "b" base_path: "${join(dir, "b")}"
                model_version_policy { specific { versions: 1 versions: 3 } }
                version_labels { key: "stable" value: 1 } version_labels { key: "canary" value: 3 } }
     }`,
  );
  const server = await startTestServer("unused", { models: await readModelConfigFile(configPath) });
  try {
    const states = async (m: string) =>
      (
        (await getJson(`${server.rest}/v1/models/${m}`)).json.model_version_status as {
          version: string;
          state: string;
        }[]
      ).map((s) => `${s.version}:${s.state}`);
    assert.deepEqual(
      await states("a"),
      ["3:AVAILABLE", "2:AVAILABLE"],
      JSON.stringify((await getJson(`${server.rest}/v1/models/a`)).json),
    );
    assert.deepEqual(await states("b"), ["3:AVAILABLE", "1:AVAILABLE"]);
    const stable = await postJson(`${server.rest}/v1/models/b/labels/stable:predict`, tiny);
    const v1 = await postJson(`${server.rest}/v1/models/b/versions/1:predict`, tiny);
    const canary = await postJson(`${server.rest}/v1/models/b/labels/canary:predict`, tiny);
    assert.equal(stable.status, 200);
    assert.deepEqual(stable.json, v1.json, "the label names version 1");
    assert.notDeepEqual(canary.json, v1.json);
    assert.equal((await postJson(`${server.rest}/v1/models/b/versions/2:predict`, tiny)).status, 404);
  } finally {
    await server.close();
  }
});

test("ModelService/HandleReloadConfigRequest swaps the served models", async () => {
  const dir = await tempDir();
  await writeConvDetector(join(dir, "a", "1"), { seed: 1 });
  for (const v of [1, 2]) await writeConvDetector(join(dir, "b", String(v)), { seed: 10 + v });
  const server = await startTestServer(join(dir, "a"), {}, "a");
  try {
    const config = parseModelConfigMessage(
      `model_config_list { config { name: "b" base_path: "${join(dir, "b")}" model_version_policy { all {} } } }`,
    );
    const [error, response] = await grpcCall(
      server.grpcAddress,
      "model",
      "handleReloadConfigRequest",
      create(ReloadConfigRequestSchema, { config }),
    );
    assert.equal(error, null);
    assert.equal((response as { status?: { errorCode: number } }).status?.errorCode, 0);
    assert.equal((await postJson(`${server.rest}/v1/models/a:predict`, tiny)).status, 404, "a is gone");
    const b = (await getJson(`${server.rest}/v1/models/b`)).json.model_version_status as {
      version: string;
      state: string;
    }[];
    assert.deepEqual(
      b.map((s) => `${s.version}:${s.state}`),
      ["2:AVAILABLE", "1:AVAILABLE"],
    );
    const [bad] = await grpcCall(
      server.grpcAddress,
      "model",
      "handleReloadConfigRequest",
      create(ReloadConfigRequestSchema, {}),
    );
    assert.equal(bad?.code, 3, "INVALID_ARGUMENT for a config without model_config_list");
  } finally {
    await server.close();
  }
});

test("modelsRoot: a model directory created while running is served on the next poll", async () => {
  const dir = await tempDir();
  const server = await startTestServer("unused", { models: [], modelsRoot: dir });
  try {
    assert.equal((await postJson(`${server.rest}/v1/models/late:predict`, tiny)).status, 404);
    await writeConvDetector(join(dir, "late", "1"));
    await server.poll();
    assert.equal((await postJson(`${server.rest}/v1/models/late:predict`, tiny)).status, 200);
  } finally {
    await server.close();
  }
});

test("an s3:// base path: complete versions are mirrored and served, partial ones are not", async () => {
  const moto = await startMoto();
  const s3 = new S3Client({
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const cacheDir = await tempDir();
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: "models" }));
    const upload = async (version: number, withPb: boolean) => {
      const local = await tempDir();
      await writeConvDetector(join(local, String(version)), { seed: version, files: { "boxloop.json": "{}" } });
      for (const file of await readdir(join(local, String(version)), { recursive: true, withFileTypes: true })) {
        if (!file.isFile() || (!withPb && file.name === "saved_model.pb")) continue;
        const path = join(file.parentPath, file.name);
        const key = `detector/${relative(local, path)}`;
        await s3.send(new PutObjectCommand({ Bucket: "models", Key: key, Body: await readFile(path) }));
      }
    };
    await upload(1, true);
    await upload(2, false);
    server = await startTestServer("s3://models/detector", { cacheDir, s3Client: s3 });
    const states = async () =>
      (
        (await getJson(`${server!.rest}/v1/models/detector`)).json.model_version_status as {
          version: string;
          state: string;
        }[]
      ).map((s) => `${s.version}:${s.state}`);
    assert.deepEqual(await states(), ["1:AVAILABLE"], "version 2 has no saved_model.pb yet");
    assert.equal((await postJson(`${server.rest}/v1/models/detector:predict`, tiny)).status, 200);
    await upload(2, true);
    await server.poll();
    assert.deepEqual(await states(), ["2:AVAILABLE", "1:END"]);
    await s3.send(new DeleteObjectCommand({ Bucket: "models", Key: "detector/2/saved_model.pb" }));
    await server.poll();
    assert.deepEqual(await states(), ["2:END", "1:AVAILABLE"], "a version gone from the bucket is unloaded");
  } finally {
    await server?.close();
    moto.close();
  }
});
