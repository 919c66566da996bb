// `npm run synth` runs this after `cdk synth`: writes cdk.out/console/ (see infra/src/console-package.ts).
import { join } from "node:path";
import { writeConsolePackage } from "../src/console-package.ts";
import { repoRoot } from "../src/paths.ts";

const assembly = process.argv[2] ?? join(repoRoot, "cdk.out");
for (const { templatePath, readmePath } of writeConsolePackage(assembly)) {
  console.log(`wrote ${templatePath}\nwrote ${readmePath}`);
}
