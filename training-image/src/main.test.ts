import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..");
const dockerfile = readFileSync(join(root, "training-image", "Dockerfile"), "utf8");

function run(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", join(root, "training-image", "src", "main.ts"), ...args], {
    encoding: "utf8",
    cwd: root,
  });
}

test("the Dockerfile's entry point exists and starts with --help", () => {
  const entry = /^ENTRYPOINT \[(.*)\]$/m.exec(dockerfile)?.[1];
  assert.ok(entry, "Dockerfile has an exec-form ENTRYPOINT");
  const parts = JSON.parse(`[${entry}]`) as string[];
  assert.deepEqual(parts.slice(0, 3), ["node", "--import", "tsx"]);
  assert.ok(existsSync(join(root, parts[3]!)), `${parts[3]} exists`);
  const r = run(["--help"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--job/);
});

test("the Dockerfile pins the CUDA 11.2 / cuDNN 8 base, Node 22 and tfjs-node-gpu 4.x", () => {
  assert.match(dockerfile, /^FROM nvidia\/cuda:11\.2\.\d+-cudnn8-runtime-ubuntu\d+\.\d+$/m);
  assert.match(dockerfile, /^ARG NODE_VERSION=22\.\d+\.\d+$/m);
  assert.match(dockerfile, /^FROM node:\$\{NODE_VERSION\}-/m);
  assert.match(dockerfile, /^ARG TFJS_VERSION=4\.\d+\.\d+$/m);
  assert.match(dockerfile, /@tensorflow\/tfjs-node-gpu@\$\{TFJS_VERSION\}/);
  for (const pkg of ["training-image", "proto", "local", "functions", "."]) {
    const json = readFileSync(join(root, pkg, "package.json"), "utf8");
    assert.doesNotMatch(json, /tfjs-node/, `${pkg}/package.json must not depend on tfjs-node`);
  }
});

test("main.ts: a missing --job, a bad manifest and a missing file are clear errors", async () => {
  const none = run([]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /--job is required/);
  const missing = run(["--job", join(root, "no-such-manifest.json")]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no-such-manifest\.json does not exist/);
  const dir = mkdtempSync(join(tmpdir(), "boxloop-main-"));
  const manifest = join(dir, "manifest.json");
  writeFileSync(manifest, JSON.stringify({ version: 1, campaignId: "c", labels: ["a"] }));
  const bad = run(["--job", manifest]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /training job: 'runId' must be a non-empty string/);
  rmSync(dir, { recursive: true, force: true });
});
