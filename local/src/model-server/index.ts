// startModelServer: TF Serving's tensorflow_model_server in-process — REST and gRPC on the given
// ports, each model's versions polled from a directory or s3://bucket/prefix. Returns once the
// first poll of every model is done and both ports listen (as TF Serving opens its ports after
// loading the initial versions).
import { readdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import * as grpc from "@grpc/grpc-js";
import type { BatchingParameters } from "./batcher.ts";
import { createGrpcServer } from "./grpc-server.ts";
import { Metrics } from "./metrics.ts";
import type { ModelEntry } from "./model-config.ts";
import { createRestServer } from "./rest-server.ts";
import { s3Source } from "./s3-source.ts";
import { savedModelLoader } from "./saved-model-servable.ts";
import type { ServableLoader } from "./servable.ts";
import { ServedModel } from "./served-model.ts";
import { ServerCore } from "./server-core.ts";
import { threadedLoader } from "./threaded-servable.ts";
import { latestOne } from "./version-policy.ts";
import { fileSystemSource } from "./version-source.ts";

export type { BatchingParameters } from "./batcher.ts";
export type { ModelEntry } from "./model-config.ts";

export interface ModelServerOptions {
  models: ModelEntry[];
  /**
   * A directory whose every child directory is a model of that name (`<root>/<model>/<version>/`),
   * picked up on each poll; for `boxloop start`, where campaigns add models while it runs.
   */
  modelsRoot?: string;
  /** gRPC port; 0 picks a free one. @default 8500 */
  grpcPort?: number;
  /** REST port; 0 picks a free one. @default 8501 */
  restApiPort?: number;
  /** @default "0.0.0.0" */
  host?: string;
  /** Seconds between polls of each base path; 0 polls once at start. @default 1 */
  fileSystemPollWaitSeconds?: number;
  /** Batch concurrent requests (TF Serving's --enable_batching); off when undefined. */
  batching?: BatchingParameters | undefined;
  /** Largest REST body and gRPC message accepted. @default 64 MiB */
  maxRequestBytes?: number;
  /** Where s3:// base paths are mirrored. @default <tmpdir>/boxloop-model-cache */
  cacheDir?: string;
  s3Client?: S3Client;
  /** Builds a servable from a version directory. @default SavedModel on TensorFlow.js (WASM) */
  loader?: ServableLoader;
  log?: (line: string) => void;
}

export interface ModelServer {
  readonly core: ServerCore;
  readonly restPort: number;
  readonly grpcPort: number;
  /** Polls every model now (tests use it instead of waiting for the timer). */
  poll(): Promise<void>;
  close(): Promise<void>;
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const log = options.log ?? ((line: string) => console.error(line));
  const threads = options.batching?.numBatchThreads ?? 1;
  const loader = options.loader ?? (threads > 1 ? threadedLoader(threads) : savedModelLoader());
  const cacheDir = options.cacheDir ?? join(tmpdir(), "boxloop-model-cache");
  const maxBytes = options.maxRequestBytes ?? 64 * 1024 * 1024;
  const host = options.host ?? "0.0.0.0";
  const core = new ServerCore(options.batching, new Metrics());

  const makeModel = (entry: ModelEntry) => {
    const source = entry.basePath.startsWith("s3://")
      ? s3Source(entry.basePath, cacheDir, options.s3Client)
      : fileSystemSource(entry.basePath);
    return new ServedModel({ name: entry.name, source, policy: entry.policy, loader, labels: entry.labels, log });
  };
  const addModel = (entry: ModelEntry) => core.models.set(entry.name, makeModel(entry));
  for (const entry of options.models) addModel(entry);
  const discover = async () => {
    if (!options.modelsRoot) return;
    const children = await readdir(options.modelsRoot, { withFileTypes: true }).catch(() => []);
    for (const child of children) {
      if (child.isDirectory() && !core.models.has(child.name)) {
        addModel({ name: child.name, basePath: join(options.modelsRoot, child.name), policy: latestOne, labels: {} });
      }
    }
  };
  const pollAll = async () => {
    await discover();
    await Promise.all([...core.models.values()].map((m) => m.poll()));
  };
  // ModelService/HandleReloadConfigRequest: models gone from the config are unloaded, new ones
  // added (loaded before they are switched in), and changed policies or labels applied in place.
  core.reloadConfig = async (entries) => {
    const next = new Map<string, ServedModel>();
    const fresh: ServedModel[] = [];
    for (const entry of entries) {
      const current = core.models.get(entry.name);
      if (current && current.basePath === entry.basePath) {
        current.reconfigure(entry.policy, entry.labels);
        next.set(entry.name, current);
      } else {
        const model = makeModel(entry);
        fresh.push(model);
        next.set(entry.name, model);
      }
    }
    await Promise.all(fresh.map((m) => m.poll()));
    const kept = new Set(next.values());
    const retired = [...core.models.values()].filter((m) => !kept.has(m));
    core.models.clear();
    for (const [name, model] of next) core.models.set(name, model);
    await Promise.all([...next.values()].map((m) => m.poll()));
    await Promise.all(retired.map((m) => m.close()));
  };
  await pollAll();

  const pollSeconds = options.fileSystemPollWaitSeconds ?? 1;
  const timer = pollSeconds > 0 ? setInterval(() => void pollAll(), pollSeconds * 1000) : undefined;

  const rest = createRestServer(core, { maxBodyBytes: maxBytes });
  const grpcServer = createGrpcServer(core, maxBytes);
  try {
    await new Promise<void>((resolve, reject) => {
      rest.once("error", reject);
      rest.listen(options.restApiPort ?? 8501, host, () => resolve());
    });
  } catch (error) {
    clearInterval(timer);
    await core.close();
    throw error;
  }
  let grpcPort: number;
  try {
    grpcPort = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync(`${host}:${options.grpcPort ?? 8500}`, grpc.ServerCredentials.createInsecure(), (e, port) =>
        e ? reject(e) : resolve(port),
      ),
    );
  } catch (error) {
    clearInterval(timer);
    rest.close();
    await core.close();
    throw error;
  }
  const restPort = (rest.address() as AddressInfo).port;
  log(`Running gRPC ModelServer at ${host}:${grpcPort} ...`);
  log(`Exporting HTTP/REST API at:${host}:${restPort} ...`);

  return {
    core,
    restPort,
    grpcPort,
    poll: pollAll,
    async close() {
      clearInterval(timer);
      rest.closeAllConnections();
      await new Promise<void>((resolve) => rest.close(() => resolve()));
      await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
      await core.close();
    },
  };
}
