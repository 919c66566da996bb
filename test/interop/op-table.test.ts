// boxloop's op table (proto/src/ops) against TensorFlow's own op registry: every attr we declare
// exists with the same kind and the same default, and every attr TensorFlow has is declared. This
// is what makes stripping defaults for the SavedModel and filling them in for TF.js safe.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type AttrDef, opDefs } from "../../proto/src/ops/index.ts";
import { DataType } from "../../proto/src/tensor.ts";
import { referee } from "../support/referee.ts";

/** stdin: op names; prints {op: {attr: {type, default}}} from TensorFlow's registry. */
const registryScript = `
import json, sys
from tensorflow.python.framework import op_def_registry
from google.protobuf import json_format
out = {}
for name in json.load(sys.stdin):
    op = op_def_registry.get(name)
    out[name] = None if op is None else {
        "inputs": [a.name for a in op.input_arg],
        "outputs": len(op.output_arg),
        "attrs": {a.name: {"type": a.type, "default": json_format.MessageToDict(a.default_value) if a.HasField("default_value") else None} for a in op.attr},
    }
print(json.dumps(out))
`;

type TfAttr = { type: string; default: Record<string, unknown> | null };

/** Our default in the shape json_format gives TensorFlow's AttrValue. */
function ourDefault(a: AttrDef): unknown {
  if (!("default" in a)) return null;
  const d = a.default;
  switch (a.kind) {
    case "type":
      return { type: DataType[d as DataType] };
    case "int":
      return { i: String(d) };
    case "bool":
      return { b: d };
    case "string":
      return { s: Buffer.from(d as string).toString("base64") };
    case "float":
      return { f: d };
    case "list(int)":
      return (d as number[]).length === 0 ? { list: {} } : { list: { i: (d as number[]).map(String) } };
    case "shape":
      return { shape: { unknownRank: true } };
    default:
      return d;
  }
}

test("every op in boxloop's table matches TensorFlow's registry: inputs, outputs, attrs and defaults", () => {
  const registry = JSON.parse(referee().run(registryScript, [], JSON.stringify(Object.keys(opDefs)))) as Record<
    string,
    { inputs: string[]; outputs: number; attrs: Record<string, TfAttr> } | null
  >;
  const problems: string[] = [];
  for (const [op, def] of Object.entries(opDefs)) {
    const tf = registry[op];
    if (!tf) {
      problems.push(`${op}: not a TensorFlow op`);
      continue;
    }
    const inputs = def.inputs.map((i) => i.replace(/\*$/, ""));
    if (JSON.stringify(inputs) !== JSON.stringify(tf.inputs)) problems.push(`${op}: inputs ${inputs} vs ${tf.inputs}`);
    if (def.outputs.length !== tf.outputs) problems.push(`${op}: ${def.outputs.length} outputs vs ${tf.outputs}`);
    for (const [name, a] of Object.entries(def.attrs)) {
      const t = tf.attrs[name];
      if (!t) {
        problems.push(`${op}.${name}: TensorFlow has no such attr`);
        continue;
      }
      if (t.type !== a.kind) problems.push(`${op}.${name}: kind ${a.kind} vs ${t.type}`);
      const ours = JSON.stringify(ourDefault(a));
      const theirs = JSON.stringify(t.default);
      if (ours !== theirs) problems.push(`${op}.${name}: default ${ours} vs ${theirs}`);
    }
    for (const name of Object.keys(tf.attrs)) {
      if (!def.attrs[name]) problems.push(`${op}.${name}: missing from our table`);
    }
  }
  assert.deepEqual(problems, []);
});
