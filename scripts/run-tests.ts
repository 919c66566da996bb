// Runs every *.test.ts of the workspaces with node's test runner (tsx for TypeScript).
// `npm test -- proto functions` runs only the tests under those folders.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const folders = ["proto", "functions", "training-image", "local", "infra", "web", "test", "bench"];
const skip = new Set(["node_modules", "dist", "cdk.out", ".cache", "gen"]);

function* testFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* testFiles(path);
    else if (entry.name.endsWith(".test.ts")) yield relative(root, path);
  }
}

const filters = process.argv.slice(2);
const files = folders
  .flatMap((folder) => [...testFiles(join(root, folder))])
  .filter((file) => filters.length === 0 || filters.some((f) => file.startsWith(f) || file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ") || "(all)"}`);
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", "--test-timeout=900000", ...files],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
