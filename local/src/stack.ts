// The whole loop on one machine, as `boxloop start` runs it: the local store, the API and web page,
// the model server (TF Serving's REST and gRPC APIs) watching <data-dir>/models, the training
// workflow (the synthesized state machine run locally, the trainer as a child process), and the
// in-process scheduler. Reading order is the loop's: store → API → answers → workflow → trainer →
// models/ → model server → predictions in the next task.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Campaign } from "@boxloop/functions/campaigns/schema";
import { localDeps } from "@boxloop/functions/deps-local";
import { layout } from "@boxloop/functions/layout";
import { ModelClient } from "@boxloop/functions/model-client/model-client";
import { modelClientPredictor } from "@boxloop/functions/model-client/predictor";
import { startServer } from "@boxloop/functions/server";
import { LocalStore } from "@boxloop/functions/storage/local";
import { getJson, listAll, type Store } from "@boxloop/functions/storage/port";
import type { WorkflowContext } from "@boxloop/functions/workflow/context";
import { runKeys, updateRun } from "@boxloop/functions/workflow/run-record";
import { workflowModels, workflowTrainingRuns } from "@boxloop/functions/workflow/training-runs";
import { type ModelServer, startModelServer } from "./model-server/index.ts";
import { startScheduler } from "./scheduler/scheduler.ts";
import { localWorkflow } from "./workflow/runner.ts";

export interface LocalStackOptions {
  dataDir: string;
  /** API + web. @default 8787 */
  port?: number;
  /** Model server gRPC. @default 8500 */
  grpcPort?: number;
  /** Model server REST. @default 8501 */
  restPort?: number;
  /** @default 127.0.0.1 */
  host?: string;
  /** @default --admin-token, $BOXLOOP_ADMIN_TOKEN, <data-dir>/admin-token, or a new one written there */
  adminToken?: string;
  /** Folders that `images:import` may read. */
  importRoots?: string[];
  /** The trainer's command line before `--job URI` (tests point it at a faulty trainer). */
  trainerCommand?: string[];
  trainerEnv?: Record<string, string>;
  /** Model server poll interval, seconds. @default 1 */
  pollSeconds?: number;
  /** Scheduler tick, ms. @default 30_000 */
  schedulerTickMs?: number;
  log?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  adminToken: string;
  data: LocalStore;
  models: LocalStore;
  modelServer: ModelServer;
  workflow: ReturnType<typeof localWorkflow>;
  stop(): Promise<void>;
}

const webDist = join(import.meta.dirname, "..", "..", "web", "dist");

/** The admin token: given, from the environment, from `<dataDir>/admin-token`, or new (mode 0600). */
export function adminTokenFor(dataDir: string, given?: string): string {
  const token = given ?? process.env.BOXLOOP_ADMIN_TOKEN;
  if (token !== undefined) {
    if (token.length < 16) throw new Error("the admin token must have at least 16 characters");
    return token;
  }
  const file = join(dataDir, "admin-token");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const fresh = randomBytes(24).toString("base64url");
  writeFileSync(file, `${fresh}\n`, { mode: 0o600 });
  return fresh;
}

/** Builds web/dist with Vite when it is missing, so a fresh clone's `npm start` serves the page. */
export function ensureWebBuilt(log: (line: string) => void): string | undefined {
  if (existsSync(join(webDist, "index.html"))) return webDist;
  log("building the web page (once)…");
  // npm and Vite talk on stdout, which belongs to the command's own output (`start --json`).
  const r = spawnSync("npm", ["run", "build", "-w", "web"], {
    cwd: join(webDist, "..", ".."),
    stdio: ["ignore", 2, 2],
  });
  return r.status === 0 && existsSync(join(webDist, "index.html")) ? webDist : undefined;
}

async function campaigns(data: Store): Promise<Campaign[]> {
  const out: Campaign[] = [];
  for await (const item of listAll(data, layout.campaigns)) {
    if (!item.key.endsWith("/campaign.json")) continue;
    const parsed = Campaign.safeParse((await getJson(data, item.key))?.value);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** A restart: runs that were under way when the process stopped are marked failed, and released. */
async function failInterruptedRuns(data: Store, log: (line: string) => void) {
  for (const campaign of await campaigns(data)) {
    for await (const item of listAll(data, runKeys.runs(campaign.id))) {
      if (!item.key.endsWith("/run.json")) continue;
      const record = (await getJson(data, item.key))?.value as { id?: string; status?: string } | undefined;
      if (record?.id === undefined || (record.status !== "running" && record.status !== "queued")) continue;
      await updateRun(data, campaign.id, record.id, (run) => ({
        ...run,
        status: "failed",
        error: "interrupted: boxloop stopped during the run; start a new run to retry",
      }));
      log(`run ${campaign.id}/${record.id} was interrupted by the last stop: marked failed`);
    }
    await data.delete(runKeys.active(campaign.id));
    await data.delete(runKeys.queued(campaign.id));
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => console.error(line));
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const adminToken = adminTokenFor(dataDir, options.adminToken);
  const host = options.host ?? "127.0.0.1";
  const webDir = ensureWebBuilt(log);
  const deps = localDeps({
    dataDir,
    adminToken,
    importRoots: options.importRoots ?? [],
    secret: adminToken,
    ...(webDir ? { webDir } : {}),
  });
  // One store object per folder in this process: the local store journals its writes.
  const data = deps.store;
  const models = new LocalStore(join(dataDir, "models"));
  mkdirSync(models.root, { recursive: true });

  await failInterruptedRuns(data, log);

  // One model per campaign, named by its modelName: every folder under models/ is served, and a new
  // campaign's folder is picked up at the next poll (as TF Serving's reloaded model config would).
  const modelServer = await startModelServer({
    models: [],
    modelsRoot: models.root,
    grpcPort: options.grpcPort ?? 8500,
    restApiPort: options.restPort ?? 8501,
    host,
    fileSystemPollWaitSeconds: options.pollSeconds ?? 1,
    log,
  });

  const context: Omit<WorkflowContext, "starter"> = {
    data,
    models,
    uri: (store, key) => join(store === "data" ? data.root : models.root, key),
    now: () => new Date(),
  };
  const workflow = localWorkflow({
    context,
    logDir: join(dataDir, "logs"),
    ...(options.trainerCommand ? { trainerCommand: options.trainerCommand } : {}),
    // Retrains compute only their new images' backbone features.
    trainerEnv: { BOXLOOP_FEATURE_CACHE: join(dataDir, "cache", "features"), ...options.trainerEnv },
    onEvent: log,
  });
  const trainingRuns = workflowTrainingRuns(data, workflow);

  const client = new ModelClient({
    transport: "rest",
    address: `http://${host}:${modelServer.restPort}`,
    imageEncoding: "encoded",
  });
  const labelMap = async (modelName: string, version: number) => {
    const info = (await getJson(models, `${modelName}/${version}/boxloop.json`))?.value as
      | { labels?: string[] }
      | undefined;
    return info?.labels ? new Map(info.labels.map((label, i) => [i + 1, label])) : undefined;
  };
  const api = await startServer(
    {
      ...deps,
      trainingRuns,
      models: workflowModels(data, models),
      predictor: modelClientPredictor(client, { labelMap }),
    },
    { port: options.port ?? 8787, host },
  );

  const scheduler = startScheduler({
    campaigns: () => campaigns(data),
    fire: async (cid) => {
      await trainingRuns.start(cid, { kind: "schedule" });
    },
    onError: (cid, error) => log(`schedule of campaign ${cid}: ${(error as Error).message}`),
    tickMs: options.schedulerTickMs ?? 5_000,
  });

  return {
    url: api.url,
    adminToken,
    data,
    models,
    modelServer,
    workflow,
    async stop() {
      scheduler.stop();
      await workflow.stop();
      await api.close();
      await modelServer.close();
      await data.close();
      await models.close();
    },
  };
}
