// The app's dependencies on one machine: `<dataDir>/data` and `<dataDir>/models` as local stores,
// the admin token plus issued tokens, folder import allowed under `importRoots`.
import { join } from "node:path";
import { localTokens } from "./auth/local-tokens.ts";
import type { AppDeps } from "./context.ts";
import { LocalStore } from "./storage/local.ts";
import { MemoryLeases } from "./tasks/lease.ts";
import type { WorkflowStarter } from "./workflow/context.ts";
import { workflowModels, workflowTrainingRuns } from "./workflow/training-runs.ts";

export interface LocalDepsOptions {
  dataDir: string;
  adminToken: string;
  /** Signs presigned URLs; set it so URLs survive a restart. */
  secret?: string;
  importRoots?: string[];
  webDir?: string;
}

/** Without a workflow runner (`boxloop start` passes its own), runs are recorded as queued and not started. */
const recordOnly: WorkflowStarter = { start: async () => ({ executionId: "not started: no workflow runner" }) };

export function localDeps(
  options: LocalDepsOptions,
  overrides: Partial<Omit<AppDeps, "store">> = {},
): AppDeps & { store: LocalStore } {
  const store = new LocalStore(
    join(options.dataDir, "data"),
    options.secret === undefined ? {} : { secret: options.secret },
  );
  const models = new LocalStore(join(options.dataDir, "models"));
  return {
    auth: localTokens(store, options.adminToken),
    trainingRuns: workflowTrainingRuns(store, recordOnly),
    models: workflowModels(store, models),
    importRoots: options.importRoots ?? [],
    // One API process owns a local store: its own writes keep the view current, listings only
    // catch changes by other processes.
    indexTtlMs: 10_000,
    // …and so holds the leases in its memory: a stored one costs a conditional write and a delete.
    leases: new MemoryLeases(),
    ...(options.webDir === undefined ? {} : { webDir: options.webDir }),
    ...overrides,
    store,
  };
}
