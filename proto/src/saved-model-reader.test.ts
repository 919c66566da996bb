import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import { SavedModelSchema } from "./gen/tensorflow/core/protobuf/saved_model_pb.ts";
import { GraphBuilder } from "./graph-builder.ts";
import { metaGraphWithTags, parseSavedModel, readSavedModel } from "./saved-model-reader.ts";
import { savedModelProto } from "./saved-model-writer.ts";
import { DataType } from "./tensor.ts";

test("a file that is not a SavedModel is reported as such", async () => {
  assert.throws(() => parseSavedModel(Uint8Array.of(0xff, 0xff, 0xff), "x.pb"), /x.pb is not a SavedModel/);
  assert.throws(() => parseSavedModel(new Uint8Array(0), "empty.pb"), /empty.pb holds no meta graph/);
  const dir = mkdtempSync(join(tmpdir(), "boxloop-smr-"));
  try {
    await assert.rejects(readSavedModel(dir), /ENOENT/);
    writeFileSync(join(dir, "saved_model.pb"), "hello, not protobuf");
    await assert.rejects(readSavedModel(dir), /is not a SavedModel/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("meta graphs are found by their exact tag set", () => {
  const g = new GraphBuilder();
  const x = g.placeholder("x", DataType.DT_FLOAT, [1]);
  const proto = savedModelProto(g.toGraphDef(), { inputs: { x: { output: x, shape: [1] } }, outputs: {} });
  const model = parseSavedModel(toBinary(SavedModelSchema, proto));
  assert.ok(metaGraphWithTags(model, ["serve"]));
  assert.throws(() => metaGraphWithTags(model, ["serve", "gpu"]), /no meta graph tagged \[serve, gpu\]/);
});
