// `npm run bench -- <name> [args]` runs bench/<name>.ts; without a name, lists the benchmarks.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const names = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.endsWith(".test.ts"))
  .map((f) => f.slice(0, -3))
  .sort();
const name = process.argv[2];
if (!name || !names.includes(name)) {
  console.error(
    `${name ? `unknown benchmark "${name}". ` : ""}usage: npm run bench -- <name>\nbenchmarks: ${names.join(", ")}`,
  );
  process.exit(name ? 1 : 0);
}
process.argv.splice(2, 1);
await import(pathToFileURL(join(import.meta.dirname, `${name}.ts`)).href);
