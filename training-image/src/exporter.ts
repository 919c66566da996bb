// Export: the next integer version under <exportDir>/<modelName>/ (local or s3://), every file before
// saved_model.pb, with boxloop.json (label map, metrics, config, data hash); then garbage collection
// of all but the newest `keep` versions.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { writeLabelMap } from "@boxloop/proto/label-map";
import { writeSavedModel } from "@boxloop/proto/saved-model-writer";
import type { TrainerConfig } from "./config.ts";
import { type DecodeOptions, defaultDecode } from "./decode.ts";
import { buildExportGraph } from "./export-graph.ts";
import type { HeadWeights } from "./head.ts";
import { pretrainedName } from "./pretrained.ts";
import { exists, isS3, joinUri, listNames, removeTree, writeBytes } from "./storage.ts";

export interface ExportOptions {
  head: HeadWeights;
  config: TrainerConfig;
  labels: string[];
  exportDir: string;
  modelName: string;
  metrics?: Record<string, unknown>;
  dataHash?: string;
  step: number;
  decode?: DecodeOptions;
  /** Versions kept after this export (temp_files_num). */
  keepVersions?: number;
  /** Test hook: called after the extra files, before saved_model.pb. */
  beforeSavedModel?: () => Promise<void>;
}

export interface BoxloopJson {
  labels: string[];
  labelMap: string;
  metrics: Record<string, unknown>;
  config: TrainerConfig;
  dataHash: string | null;
  step: number;
  pretrained: string;
  createdAt: string;
  version: number;
}

/** Integer version directories under a model's folder, ascending, and whether each is complete. */
export async function listVersions(modelUri: string): Promise<Array<{ version: number; complete: boolean }>> {
  const names = (await listNames(modelUri)).filter((n) => /^\d+$/.test(n));
  const out = await Promise.all(
    names.map(async (n) => ({ version: Number(n), complete: await exists(joinUri(modelUri, n, "saved_model.pb")) })),
  );
  return out.sort((a, b) => a.version - b.version);
}

export async function exportModel(o: ExportOptions): Promise<{ uri: string; version: number }> {
  const modelUri = joinUri(o.exportDir, o.modelName);
  const versions = await listVersions(modelUri);
  const version = (versions.at(-1)?.version ?? 0) + 1;
  const uri = joinUri(modelUri, String(version));
  const decode = o.decode ?? defaultDecode;
  const { graph, signature } = await buildExportGraph(o.head, {
    size: o.config.imageSize,
    resize: o.config.resize,
    flip: o.config.flipAverage,
    decode,
  });
  const labelMap = writeLabelMap(o.labels.map((name, i) => ({ id: i + 1, name, displayName: name })));
  const info: BoxloopJson = {
    labels: o.labels,
    labelMap,
    metrics: o.metrics ?? {},
    config: o.config,
    dataHash: o.dataHash ?? null,
    step: o.step,
    pretrained: pretrainedName,
    createdAt: new Date().toISOString(),
    version,
  };
  const files = {
    "boxloop.json": `${JSON.stringify(info, null, 2)}\n`,
    "assets.extra/label_map.pbtxt": labelMap,
  };
  // For S3 the version is built in a fresh local folder, then uploaded saved_model.pb last.
  const staging = isS3(uri) ? await mkdtemp(join(tmpdir(), "boxloop-export-")) : undefined;
  const local = staging ? join(staging, String(version)) : uri;
  try {
    if (o.beforeSavedModel) {
      // Same order as writeSavedModel, with a pause point for crash tests.
      for (const [rel, data] of Object.entries(files)) await writeBytes(join(local, rel), data);
      await o.beforeSavedModel();
    }
    await writeSavedModel(local, { graph, signature, files });
    if (isS3(uri)) {
      const all = await walk(local);
      const rest = all.filter((f) => f !== "saved_model.pb");
      for (const rel of rest) await writeBytes(joinUri(uri, ...rel.split("/")), await readFile(join(local, rel)));
      await writeBytes(joinUri(uri, "saved_model.pb"), await readFile(join(local, "saved_model.pb")));
    }
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
  await collectGarbage(modelUri, o.keepVersions ?? 5);
  return { uri, version };
}

/** Keeps the newest `keep` complete versions; removes older ones and unfinished leftovers below the newest. */
export async function collectGarbage(modelUri: string, keep: number): Promise<number[]> {
  const versions = await listVersions(modelUri);
  const complete = versions.filter((v) => v.complete);
  const newest = complete.at(-1)?.version ?? 0;
  const keepSet = new Set(complete.slice(-Math.max(1, keep)).map((v) => v.version));
  const removed: number[] = [];
  for (const v of versions) {
    if (keepSet.has(v.version) || v.version > newest) continue;
    // Remove saved_model.pb first so TF Serving never sees a half-deleted version.
    if (v.complete) await removeTree(joinUri(modelUri, String(v.version), "saved_model.pb"));
    await removeTree(joinUri(modelUri, String(v.version)));
    removed.push(v.version);
  }
  return removed;
}

async function walk(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p, root)));
    else out.push(relative(root, p).split("\\").join("/"));
  }
  return out;
}
