// tfjs-core's CommonJS entry (what Node loads) registers no gradients. Its ESM build has them, but with
// extensionless imports that Node's ESM loader rejects. So the registration module is bundled once with
// esbuild (a bundler resolves those imports) and run as CommonJS. The bundle's copy of tfjs-core shares
// the global engine and registries with the main copy, so its gradients serve every op.
import { createRequire } from "node:module";
import { buildSync } from "esbuild";

let done = false;

export function registerAllGradients(): void {
  if (done) return;
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  const out = buildSync({
    entryPoints: [entry],
    bundle: true,
    format: "cjs",
    platform: "node",
    write: false,
    logLevel: "silent",
  });
  const module = { exports: {} };
  new Function("module", "exports", "require", out.outputFiles[0]!.text)(module, module.exports, createRequire(entry));
  done = true;
}
