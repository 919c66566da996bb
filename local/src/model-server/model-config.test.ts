import assert from "node:assert/strict";
import { test } from "node:test";
import { parseModelConfig } from "./model-config.ts";

test("parses several models with each version policy and labels", () => {
  const models = parseModelConfig(`
    model_config_list {
      config { name: "a" base_path: "/m/a" model_platform: "tensorflow" }
      config {
        name: "b"
        base_path: "s3://bucket/b"
        model_version_policy { latest { num_versions: 2 } }
      }
      config { name: "c" base_path: "/m/c" model_version_policy { all {} } }
      config {
        name: "d" base_path: "/m/d"
        model_version_policy { specific { versions: 1 versions: 3 } }
        version_labels { key: "stable" value: 1 }
        version_labels { key: "canary" value: 3 }
      }
    }`);
  assert.deepEqual(
    models.map((m) => [m.name, m.basePath, m.policy]),
    [
      ["a", "/m/a", { kind: "latest", numVersions: 1 }],
      ["b", "s3://bucket/b", { kind: "latest", numVersions: 2 }],
      ["c", "/m/c", { kind: "all" }],
      ["d", "/m/d", { kind: "specific", versions: [1, 3] }],
    ],
  );
  assert.deepEqual(models[3]!.labels, { stable: 1, canary: 3 });
});

test("rejects unknown fields, missing base paths and duplicate names", () => {
  assert.throws(() => parseModelConfig(`model_config_list { config { name: "a" bogus: 1 } }`), /bogus/);
  assert.throws(() => parseModelConfig(`model_config_list { config { name: "a" } }`), /base_path is required/);
  assert.throws(
    () =>
      parseModelConfig(
        `model_config_list { config { name: "a" base_path: "/x" } config { name: "a" base_path: "/y" } }`,
      ),
    /appears twice/,
  );
});
