import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

const bin = join(import.meta.dirname, "..", "bin", "boxloop.mjs");
const boxloop = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("boxloop --help lists the commands and exits 0", () => {
  const r = boxloop("--help");
  assert.equal(r.status, 0);
  for (const name of ["start", "train", "eval", "serve", "convert", "simulate"])
    assert.match(r.stdout, new RegExp(`\\b${name}\\b`));
});

test("an unknown command is an error with a non-zero exit", () => {
  const r = boxloop("frobnicate");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});

test("boxloop runs on Node 22 or newer", () => {
  assert.ok(Number(process.versions.node.split(".")[0]) >= 22, process.versions.node);
});
