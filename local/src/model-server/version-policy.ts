// Which versions of a model to serve, as ModelServerConfig's model_version_policy says.
export type VersionPolicy =
  | { kind: "latest"; numVersions: number }
  | { kind: "all" }
  | { kind: "specific"; versions: number[] };

export const latestOne: VersionPolicy = { kind: "latest", numVersions: 1 };

/** The versions to serve among those present (ascending). */
export function aspiredVersions(present: readonly number[], policy: VersionPolicy): number[] {
  const sorted = [...present].sort((a, b) => a - b);
  switch (policy.kind) {
    case "latest":
      return sorted.slice(-Math.max(policy.numVersions, 1));
    case "all":
      return sorted;
    case "specific":
      return sorted.filter((v) => policy.versions.includes(v));
  }
}
