// A trainer killed (SIGKILL) in the middle of an export leaves no version directory that has a
// saved_model.pb but is incomplete; the next export takes the next number and clears the leftover.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { defaultConfig } from "@boxloop/training-image/config";
import { exportModel, listVersions } from "@boxloop/training-image/exporter";
import { headFromPretrained } from "@boxloop/training-image/head";
import { pretrainedFor } from "@boxloop/training-image/trainer";

const root = join(import.meta.dirname, "..", "..");
const config = { ...defaultConfig(1), imageSize: 128 };

const child = `
import { writeFileSync } from "node:fs";
import { defaultConfig } from "@boxloop/training-image/config";
import { exportModel } from "@boxloop/training-image/exporter";
import { headFromPretrained } from "@boxloop/training-image/head";
import { pretrainedFor } from "@boxloop/training-image/trainer";
const config = { ...defaultConfig(1), imageSize: 128 };
const pre = await pretrainedFor(128);
await exportModel({
  head: headFromPretrained(pre.heads, [[21]]), config, labels: ["raccoon"], exportDir: process.env.EXPORT_DIR,
  modelName: "m", step: 1,
  beforeSavedModel: async () => { writeFileSync(process.env.MARKER, "paused"); await new Promise(() => {}); },
});`;

test("a killed export leaves no complete-looking partial version", async () => {
  const dir = await mkdtemp(join(tmpdir(), "boxloop-export-crash-"));
  const exportDir = join(dir, "export");
  const marker = join(dir, "paused");
  try {
    const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", child], {
      cwd: root,
      env: { ...process.env, EXPORT_DIR: exportDir, MARKER: marker },
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => proc.on("exit", resolve));
    const deadline = Date.now() + 240_000;
    while (!existsSync(marker)) {
      assert.ok(Date.now() < deadline, "the child reached the export");
      await new Promise((r) => setTimeout(r, 200));
    }
    proc.kill("SIGKILL");
    await exited;
    const leftover = join(exportDir, "m", "1");
    assert.ok(existsSync(join(leftover, "boxloop.json")), "the killed export had started writing version 1");
    assert.ok(!existsSync(join(leftover, "saved_model.pb")), "no saved_model.pb in the unfinished version");

    const pre = await pretrainedFor(128);
    const next = await exportModel({
      head: headFromPretrained(pre.heads, [[21]]),
      config,
      labels: ["raccoon"],
      exportDir,
      modelName: "m",
      step: 2,
    });
    assert.equal(next.version, 2);
    assert.deepEqual(await listVersions(join(exportDir, "m")), [{ version: 2, complete: true }]);
    assert.deepEqual((await readdir(next.uri)).sort(), ["assets.extra", "boxloop.json", "saved_model.pb"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("export keeps the newest versions (temp_files_num) and numbers them upwards", async () => {
  const dir = await mkdtemp(join(tmpdir(), "boxloop-export-gc-"));
  try {
    const pre = await pretrainedFor(128);
    const head = headFromPretrained(pre.heads, [[21]]);
    const versions: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await exportModel({
        head,
        config,
        labels: ["raccoon"],
        exportDir: dir,
        modelName: "m",
        step: i,
        keepVersions: 2,
      });
      versions.push(r.version);
    }
    assert.deepEqual(versions, [1, 2, 3]);
    assert.deepEqual(
      (await listVersions(join(dir, "m"))).map((v) => v.version),
      [2, 3],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
