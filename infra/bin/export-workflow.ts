// Synthesizes the app in-process and writes the state machine definition the local runner executes to
// local/src/workflow/state-machine.asl.json. Run it after changing the workflow: `npx tsx infra/bin/export-workflow.ts`.
// infra/src/app.test.ts fails while the committed file differs from what synth produces.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { synthLocalDefinition } from "../src/export-definition.ts";
import { committedDefinitionPath } from "../src/paths.ts";

const outdir = mkdtempSync(join(tmpdir(), "boxloop-cdk-"));
try {
  const text = synthLocalDefinition(outdir);
  mkdirSync(dirname(committedDefinitionPath), { recursive: true });
  writeFileSync(committedDefinitionPath, text);
  console.log(`wrote ${committedDefinitionPath}`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
