// The local stack for browser tests and the annotation benchmark: the built web page and the real
// API (functions' app factory) on local-directory storage, served on an ephemeral port.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "@boxloop/functions/app";
import { localDeps } from "@boxloop/functions/deps-local";
import type { Predictor } from "@boxloop/functions/predictions/port";
import { LocalStore } from "@boxloop/functions/storage/local";
import type { WorkflowInput } from "@boxloop/functions/workflow/context";
import { workflowModels, workflowTrainingRuns } from "@boxloop/functions/workflow/training-runs";
import { serve } from "@hono/node-server";

const repo = join(import.meta.dirname, "..", "..");
export const raccoon = join(repo, "..", "shared", "datasets", "raccoon");

let built: string | undefined;
/**
 * Builds web/ once per process into a temporary folder (test files run in parallel processes, and
 * must not empty each other's web/dist), removed when the process exits.
 */
export function buildWeb(): string {
  if (built !== undefined) return built;
  const outDir = mkdtempSync(join(tmpdir(), "boxloop-web-"));
  const r = spawnSync(
    join(repo, "node_modules", ".bin", "vite"),
    ["build", "--logLevel", "warn", "--outDir", outDir, "--emptyOutDir"],
    { cwd: join(repo, "web"), encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
  statSync(join(outDir, "index.html"));
  process.once("exit", () => rmSync(outDir, { recursive: true, force: true }));
  built = outDir;
  return outDir;
}

export interface StackOptions {
  predictor?: Predictor;
  /** Folder of model versions (`<model-name>/<version>/…`); a fresh empty one by default. */
  modelsDir?: string;
}

export interface Stack {
  url: string;
  adminToken: string;
  dataDir: string;
  modelsDir: string;
  store: LocalStore;
  /** Workflow executions the API asked for. */
  started: WorkflowInput[];
  /** Every request that reached the server: method, path and, once answered, status. */
  requests: { method: string; path: string; status?: number }[];
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<T>;
  /** Swaps the model server the API asks (a test starts one after the stack). */
  setPredictor(predictor: Predictor): void;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const webDir = buildWeb();
  const dataDir = mkdtempSync(join(tmpdir(), "boxloop-e2e-"));
  const modelsDir = options.modelsDir ?? join(dataDir, "models");
  mkdirSync(modelsDir, { recursive: true });
  const adminToken = `admin-${crypto.randomUUID()}`;
  const started: WorkflowInput[] = [];
  let predictor: Predictor | undefined = options.predictor;
  // The API holds this object; it forwards to whichever predictor is set now.
  const forwarding: Predictor = {
    currentVersion: (campaign) => predictor?.currentVersion(campaign) ?? Promise.resolve(null),
    predict: (input) => predictor?.predict(input) ?? Promise.resolve(null),
  };
  // As `boxloop start` builds them (functions/src/deps-local.ts), with the workflow's runs and models.
  const deps = localDeps({ dataDir, adminToken, importRoots: [tmpdir(), raccoon], webDir }, { predictor: forwarding });
  const store = deps.store;
  // Runs are recorded as the workflow records them; nothing trains here (the loop's tests do that).
  deps.trainingRuns = workflowTrainingRuns(store, {
    start: async (input) => {
      started.push(input);
      return { executionId: `e2e-${started.length}` };
    },
  });
  const modelsStore = new LocalStore(modelsDir);
  deps.models = workflowModels(store, modelsStore);
  await store.ready();
  await modelsStore.ready();
  const app = createApp(deps);
  const requests: Stack["requests"] = [];
  const server = serve({
    fetch: async (req: Request) => {
      const seen: Stack["requests"][number] = {
        method: req.method,
        path: decodeURIComponent(new URL(req.url).pathname),
      };
      requests.push(seen);
      const res = await app.fetch(req);
      seen.status = res.status;
      return res;
    },
    port: 0,
    hostname: "127.0.0.1",
  });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api = async <T>(method: string, path: string, body?: unknown, token = adminToken): Promise<T> => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    url,
    adminToken,
    dataDir,
    modelsDir,
    store,
    requests,
    started,
    api,
    setPredictor(p) {
      predictor = p;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await modelsStore.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A folder with the first `n` raccoon images (symlinks), for `images:import`. */
export function raccoonFolder(n: number): { path: string; names: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-images-"));
  const names = Array.from({ length: n }, (_, i) => `raccoon-${i + 1}.jpg`);
  for (const name of names) symlinkSync(join(raccoon, "images", name), join(dir, name));
  return { path: dir, names };
}

export interface Campaign {
  id: string;
  annotator: string;
  annotatorToken: string;
}

/** A campaign with `images` raccoon images and one annotator who holds its own token. */
export async function seedCampaign(
  stack: Stack,
  o: { id: string; images: number; labels?: string[]; threshold?: number; modelName?: string; leaseSeconds?: number },
): Promise<Campaign> {
  const annotator = "ann1";
  await stack.api("POST", "/campaigns", {
    id: o.id,
    name: `Campaign ${o.id}`,
    labels: o.labels ?? ["raccoon", "dog"],
    threshold: o.threshold ?? 0.5,
    members: [{ id: annotator, role: "annotator" }],
    strategy: "sequential",
    ...(o.modelName ? { modelName: o.modelName } : {}),
    ...(o.leaseSeconds ? { leaseSeconds: o.leaseSeconds } : {}),
  });
  const folder = raccoonFolder(o.images);
  const imported = await stack.api<{ imported: number }>("POST", `/campaigns/${o.id}/images:import`, {
    source: "folder",
    path: folder.path,
  });
  rmSync(folder.path, { recursive: true, force: true });
  if (imported.imported !== o.images) throw new Error(`imported ${imported.imported} of ${o.images} images`);
  const { token } = await stack.api<{ token: string }>("POST", "/tokens", { subject: annotator, role: "annotator" });
  return { id: o.id, annotator, annotatorToken: token };
}
