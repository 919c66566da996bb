// The models to serve: one from --model-name/--model-base-path, or several from a text-format
// ModelServerConfig (--model-config-file), parsed with protobuf-es's txtpb against the schema.
import { readFile } from "node:fs/promises";
import {
  type ModelServerConfig,
  ModelServerConfigSchema,
} from "@boxloop/proto/gen/tensorflow_serving/config/model_server_config_pb";
import { fromText } from "@bufbuild/protobuf/txtpb";
import { latestOne, type VersionPolicy } from "./version-policy.ts";

export interface ModelEntry {
  name: string;
  basePath: string;
  policy: VersionPolicy;
  labels: Record<string, number>;
}

export function parseModelConfig(text: string, source = "model config"): ModelEntry[] {
  let config: ModelServerConfig;
  try {
    config = fromText(ModelServerConfigSchema, text);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  return modelEntries(config, source);
}

/** The models of a ModelServerConfig message (from a file, or a gRPC HandleReloadConfigRequest). */
export function modelEntries(config: ModelServerConfig, source = "model config"): ModelEntry[] {
  if (config.config.case !== "modelConfigList") throw new Error(`${source}: model_config_list is required`);
  const entries = config.config.value.config.map((m, i): ModelEntry => {
    if (!m.name) throw new Error(`${source}: config[${i}].name is required`);
    if (!m.basePath) throw new Error(`${source}: config[${i}] (${m.name}) base_path is required`);
    if (m.modelPlatform && m.modelPlatform !== "tensorflow") {
      throw new Error(`${source}: config[${i}] (${m.name}) model_platform '${m.modelPlatform}' is not supported`);
    }
    const choice = m.modelVersionPolicy?.policyChoice;
    const policy: VersionPolicy =
      choice?.case === "all"
        ? { kind: "all" }
        : choice?.case === "specific"
          ? { kind: "specific", versions: choice.value.versions.map(Number) }
          : choice?.case === "latest"
            ? { kind: "latest", numVersions: Math.max(1, choice.value.numVersions) }
            : latestOne;
    const labels = Object.fromEntries(Object.entries(m.versionLabels).map(([k, v]) => [k, Number(v)]));
    return { name: m.name, basePath: m.basePath, policy, labels };
  });
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) throw new Error(`${source}: model name '${e.name}' appears twice`);
    names.add(e.name);
  }
  return entries;
}

export async function readModelConfigFile(path: string): Promise<ModelEntry[]> {
  return parseModelConfig(await readFile(path, "utf8"), path);
}
