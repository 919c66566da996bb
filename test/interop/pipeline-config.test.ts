// Text-format configs against the reference parser: Python protobuf's text_format, given the same
// schema (our .proto subset as a FileDescriptorSet), reads each config to the message we read, and
// rejects each malformed one at the line we name.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  file_object_detection_protos_pipeline,
  TrainEvalPipelineConfigSchema,
} from "@boxloop/proto/gen/object_detection/protos/pipeline_pb";
import {
  file_object_detection_protos_string_int_label_map,
  StringIntLabelMapSchema,
} from "@boxloop/proto/gen/object_detection/protos/string_int_label_map_pb";
import { parsePipelineConfig } from "@boxloop/proto/pipeline-config";
import { parseText, TextFormatError } from "@boxloop/proto/text-format";
import { create, type DescFile, type DescMessage, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { referee } from "../support/referee.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");
const testdata = join(import.meta.dirname, "..", "..", "proto", "src", "testdata");

/** The files and their imports, each after its dependencies. */
function descriptorSet(...roots: DescFile[]): Uint8Array {
  const ordered: DescFile[] = [];
  const visit = (f: DescFile) => {
    if (ordered.includes(f)) return;
    f.dependencies.forEach(visit);
    ordered.push(f);
  };
  roots.forEach(visit);
  return toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: ordered.map((f) => f.proto) }));
}

const script = `
import base64, json, sys
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
job = json.load(sys.stdin)
files = descriptor_pb2.FileDescriptorSet.FromString(base64.b64decode(job["descriptors"]))
pool = descriptor_pool.DescriptorPool()
for f in files.file:
    pool.Add(f)
out = []
for case in job["cases"]:
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(case["type"]))
    try:
        msg = text_format.Parse(case["text"], cls())
        out.append({"binary": base64.b64encode(msg.SerializeToString()).decode()})
    except text_format.ParseError as e:
        out.append({"line": e.GetLine(), "error": str(e)})
print(json.dumps(out))
`;

interface Case {
  schema: DescMessage;
  text: string;
}

function pythonParse(cases: Case[]): ({ binary: string } | { line: number; error: string })[] {
  const job = {
    descriptors: Buffer.from(
      descriptorSet(file_object_detection_protos_pipeline, file_object_detection_protos_string_int_label_map),
    ).toString("base64"),
    cases: cases.map((c) => ({ type: c.schema.typeName, text: c.text })),
  };
  return JSON.parse(referee().run(script, [], JSON.stringify(job)));
}

test("Python's text_format reads the pipeline configs and the label map to the messages we read", async () => {
  const cases: Case[] = [
    {
      schema: TrainEvalPipelineConfigSchema,
      text: await readFile(join(raccoon, "training", "ssd_mobilenet_v1_pets.config"), "utf8"),
    },
    {
      schema: TrainEvalPipelineConfigSchema,
      text: await readFile(join(testdata, "faster_rcnn_raccoon.config"), "utf8"),
    },
    {
      schema: TrainEvalPipelineConfigSchema,
      text: await readFile(join(testdata, "center_net_raccoon.config"), "utf8"),
    },
    {
      schema: StringIntLabelMapSchema,
      text: await readFile(join(raccoon, "training", "object-detection.pbtxt"), "utf8"),
    },
  ];
  const results = pythonParse(cases);
  cases.forEach((c, i) => {
    const r = results[i]!;
    assert.ok("binary" in r, `Python rejected case ${i}: ${JSON.stringify(r)}`);
    const theirs = fromBinary(c.schema, Buffer.from(r.binary, "base64"));
    const ours = parseText(c.schema, c.text).message;
    assert.ok(equals(c.schema, ours, theirs), `case ${i} differs from Python's parse`);
  });
  // The comparison above must be able to fail: a changed value is noticed.
  const changed = parsePipelineConfig(cases[1]!.text.replace("min_dimension: 600", "min_dimension: 601")).config;
  const python = results[1]!;
  assert.ok("binary" in python);
  assert.ok(
    !equals(
      TrainEvalPipelineConfigSchema,
      changed,
      fromBinary(TrainEvalPipelineConfigSchema, Buffer.from(python.binary, "base64")),
    ),
  );
});

test("a malformed config is rejected at the same line by Python's text_format and by us", () => {
  const malformed = [
    "model {\n  ssd {\n    num_clases: 3\n  }\n}\n",
    "model { ssd {\n post_processing {\n  score_converter: SIGMOD\n } } }",
    "train_config {\n  batch_size: eight\n}",
    "train_config {\n\n  num_steps: -5\n}",
    "train_config {\n  batch_size: 2\n  batch_size: 4\n}",
    "model {\n  ssd {}\n  faster_rcnn {}\n}",
    "eval_config {\n  num_examples 4\n}",
  ];
  const results = pythonParse(malformed.map((text) => ({ schema: TrainEvalPipelineConfigSchema, text })));
  malformed.forEach((text, i) => {
    const r = results[i]!;
    assert.ok("line" in r, `Python accepted malformed case ${i}`);
    assert.throws(
      () => parsePipelineConfig(text),
      (e: unknown) => e instanceof TextFormatError && e.line === r.line,
      `case ${i}: Python says line ${r.line} (${"error" in r ? r.error : ""})`,
    );
  });
});
