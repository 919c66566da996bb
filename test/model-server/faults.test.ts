// Faults in the model directory: a partial version is never loaded; a corrupt saved_model.pb leaves
// the previous version serving with the error in its status; a vanished version is unloaded; a
// deleted base path keeps the loaded versions serving (TF Serving's FileSystemStoragePathSource
// fails the poll with "Could not find base path" and changes nothing), while an existing but empty
// base path unloads every version.
import assert from "node:assert/strict";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeConvDetector } from "./conv-detector.ts";
import { getJson, postJson, startTestServer, type TestServer, tempDir } from "./harness.ts";

let server: TestServer;
let base: string;
const tiny = {
  instances: [
    [
      [
        [10, 20, 30],
        [40, 50, 60],
      ],
    ],
  ],
};

type Status = { version: string; state: string; status: { error_code: string; error_message: string } };
const status = async () => (await getJson(`${server.rest}/v1/models/detector`)).json.model_version_status as Status[];
const states = async () => (await status()).map((s) => `${s.version}:${s.state}`);
const predict = (path = "") => postJson(`${server.rest}/v1/models/detector${path}:predict`, tiny);

before(async () => {
  base = await tempDir();
  await writeConvDetector(join(base, "1"), { seed: 1 });
  await mkdir(join(base, "not-a-version"));
  await writeConvDetector(join(base, "not-a-version", "1"), { seed: 9 });
  server = await startTestServer(base);
});
after(() => server.close());

test("a version directory without saved_model.pb is never loaded", async () => {
  await mkdir(join(base, "2", "assets.extra"), { recursive: true });
  await writeFile(join(base, "2", "boxloop.json"), "{}");
  await server.poll();
  await server.poll();
  assert.deepEqual(await states(), ["1:AVAILABLE"]);
  assert.equal((await predict()).status, 200);
  await rm(join(base, "2"), { recursive: true });
});

test("a corrupt saved_model.pb is reported in the status and the previous version keeps serving", async () => {
  await mkdir(join(base, "3"));
  await writeFile(join(base, "3", "saved_model.pb"), "this is not a protocol buffer \xff\xff\xff\xff");
  await server.poll();
  const s = await status();
  assert.deepEqual(
    s.map((x) => [x.version, x.state, x.status.error_code]),
    [
      ["3", "END", "DATA_LOSS"],
      ["1", "AVAILABLE", "OK"],
    ],
  );
  assert.match(s[0]!.status.error_message, /saved_model\.pb/);
  assert.equal((await predict()).status, 200, "latest falls back to version 1");
  const v3 = await predict("/versions/3");
  assert.equal(v3.status, 404);
  assert.equal(v3.json.error, "Servable not found for request: Specific(detector, 3)");
  await server.poll();
  assert.deepEqual(await states(), ["3:END", "1:AVAILABLE"], "a failed version is not retried on every poll");
  await rm(join(base, "3"), { recursive: true });
  await server.poll();
  assert.deepEqual(await states(), ["1:AVAILABLE"], "its directory gone, the failure is forgotten");
});

test("a version whose directory vanishes is unloaded", async () => {
  await writeConvDetector(join(base, "4"), { seed: 4 });
  await server.poll();
  assert.deepEqual(await states(), ["4:AVAILABLE", "1:END"]);
  await rm(join(base, "4"), { recursive: true });
  await server.poll();
  assert.deepEqual(await states(), ["4:END", "1:AVAILABLE"], "version 1 is the latest again");
  assert.equal((await predict("/versions/4")).status, 404);
});

test("a deleted base path keeps serving, as TF Serving does; an empty one unloads everything", async () => {
  await rm(base, { recursive: true });
  await server.poll();
  assert.deepEqual(await states(), ["4:END", "1:AVAILABLE"]);
  assert.equal((await predict()).status, 200);
  assert.ok(server.logs.some((l) => l.includes(`Could not find base path ${base} for servable detector`)));

  await mkdir(base);
  await server.poll();
  assert.deepEqual(await states(), ["4:END", "1:END"]);
  const gone = await predict();
  assert.equal(gone.status, 404);
  assert.equal(gone.json.error, "Servable not found for request: Latest(detector)");
});
