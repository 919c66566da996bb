import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { defaultConfig } from "@boxloop/training-image/config";
import { exportModel } from "@boxloop/training-image/exporter";
import { headFromPretrained } from "@boxloop/training-image/head";
import { pretrainedFor } from "@boxloop/training-image/trainer";

const bin = join(import.meta.dirname, "..", "..", "bin", "boxloop.mjs");
const raccoonImages = join(import.meta.dirname, "..", "..", "..", "..", "shared", "datasets", "raccoon", "images");
const boxloop = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("boxloop train and eval print their options", () => {
  for (const name of ["train", "eval"]) {
    const r = boxloop(name, "--help");
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--annotations/);
  }
});

test("boxloop train: bad inputs are one clear line and exit 2", () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-train-cli-"));
  try {
    const common = ["--model-dir", join(dir, "m"), "--export-dir", join(dir, "e")];
    const none = boxloop("train", ...common);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /--annotations is required/);

    const header = "filename,width,height,class,xmin,ymin,xmax,ymax\n";
    const missing = join(dir, "missing.csv");
    writeFileSync(missing, `${header}nope.jpg,100,100,raccoon,1,1,50,50\n`);
    const r1 = boxloop("train", "--annotations", missing, "--images", raccoonImages, ...common);
    assert.equal(r1.status, 2, r1.stderr);
    assert.match(r1.stderr, /missing from .*: nope\.jpg/);

    const empty = join(dir, "empty.csv");
    writeFileSync(empty, header);
    const r2 = boxloop("train", "--annotations", empty, "--images", raccoonImages, ...common);
    assert.equal(r2.status, 2, r2.stderr);
    assert.match(r2.stderr, /empty|no images|no labels/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("boxloop eval prints COCO metrics of an exported model", async () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-eval-cli-"));
  try {
    const pre = await pretrainedFor(128);
    const config = { ...defaultConfig(1), imageSize: 128 };
    const head = headFromPretrained(pre.heads, [[21]]);
    const { uri } = await exportModel({ head, config, labels: ["raccoon"], exportDir: dir, modelName: "m", step: 0 });
    const csv = join(dir, "test.csv");
    writeFileSync(
      csv,
      "filename,width,height,class,xmin,ymin,xmax,ymax\nraccoon-17.jpg,259,194,raccoon,95,60,167,118\n",
    );
    const r = boxloop("eval", "--model", uri, "--annotations", csv, "--images", raccoonImages, "--json");
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, number>;
    for (const key of ["AP", "AP50", "AP75", "AR100", "vocAP50"]) assert.ok(out[key]! >= 0 && out[key]! <= 1, key);
    assert.equal(out.images, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
