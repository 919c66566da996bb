// The training image is checked without Docker: what training-image/Dockerfile runs exists and answers
// --help, its base images and Node are pinned, and what it copies is in the build context CDK stages.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot, trainingDockerfile } from "./paths.ts";
import { TRAINING_CONTEXT_EXCLUDE } from "./training-image.ts";

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(" ") };
    });
}

const dockerfile = instructions(readFileSync(trainingDockerfile, "utf8"));
const args = new Map(
  dockerfile.filter((i) => i.op === "ARG" && i.args.includes("=")).map((i) => i.args.split("=", 2) as [string, string]),
);
const expand = (text: string) =>
  text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args.get(a ?? b) ?? `<unset ${a ?? b}>`);

test("the entry point exists and starts with --help", () => {
  const entrypoint = dockerfile.findLast((i) => i.op === "ENTRYPOINT");
  assert.ok(entrypoint, "an ENTRYPOINT");
  const argv = JSON.parse(entrypoint.args) as string[];
  assert.equal(argv[0], "node", "the entry point runs node");
  const script = argv.find((a) => /\.(ts|js|mjs)$/.test(a));
  assert.ok(script, `a script in ${entrypoint.args}`);
  assert.ok(existsSync(join(repoRoot, script)), `${script} exists`);
  // The same argv, with this machine's Node 22 (WORKDIR /app is the repository root).
  const run = spawnSync(process.execPath, [...argv.slice(1), "--help"], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /--job/);
});

test("base images and Node are pinned to exact versions", () => {
  const froms = dockerfile.filter((i) => i.op === "FROM").map((i) => expand(i.args.split(/\s+/)[0]!));
  assert.ok(froms.length > 0);
  for (const image of froms) {
    assert.match(image, /^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$/, `${image} has an exact version tag`);
  }
  const node = froms.find((image) => image.startsWith("node:"));
  assert.ok(node, "Node comes from the official node image");
  const rootPackage = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  const major = /(\d+)\./.exec(rootPackage.devDependencies.node ?? "")?.[1];
  assert.ok(node.startsWith(`node:${major}.`), `${node} is Node ${major}, as the repository`);
  const cuda = froms.find((image) => image.startsWith("nvidia/cuda:"));
  assert.ok(cuda, "a CUDA base");
  assert.match(cuda, /^nvidia\/cuda:11\.2\.\d+-cudnn8-/, "CUDA 11.2 and cuDNN 8 for tfjs-node-gpu 4.x");
  const tfjs = [...args.entries()].find(([name]) => name.includes("TFJS"))?.[1];
  assert.match(tfjs ?? "", /^4\.\d+\.\d+$/, "tfjs-node-gpu pinned to a 4.x version");
});

test("what the Dockerfile copies exists and is in the staged build context", () => {
  const copies = dockerfile.filter((i) => i.op === "COPY" && !i.args.startsWith("--from"));
  assert.ok(copies.length > 0);
  for (const copy of copies) {
    const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith("--"));
    for (const source of parts.slice(0, -1)) {
      assert.ok(existsSync(join(repoRoot, source)), `${source} exists in the repository`);
      for (const pattern of TRAINING_CONTEXT_EXCLUDE) {
        const name = pattern.replace(/^\*\*\//, "");
        assert.ok(!source.split("/").includes(name), `${source} is not excluded by ${pattern}`);
      }
    }
  }
});
