// Every GraphBuilder helper the trainer may use, run by real TensorFlow (from a SavedModel) and by
// TensorFlow.js (the same GraphDef), on the same input: results agree within 1e-5.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { GraphBuilder, type Output } from "../../proto/src/graph-builder.ts";
import { TfjsSignatureRunner } from "../../proto/src/graph-to-tfjs.ts";
import { type SignatureSpec, writeSavedModel } from "../../proto/src/saved-model-writer.ts";
import { DataType, tensor } from "../../proto/src/tensor.ts";
import { useTfjsBackend } from "../../proto/src/tfjs-backend.ts";
import { referee } from "../support/referee.ts";

const inputShape = [2, 3, 4];
const inputValues = Float32Array.from({ length: 24 }, (_, i) => Math.round(Math.sin(i * 1.3) * 400) / 100);

function opsGraph(g: GraphBuilder): SignatureSpec {
  const x = g.placeholder("x", DataType.DT_FLOAT, inputShape);
  const f = DataType.DT_FLOAT;
  const half = g.constant(tensor(f, [], Float32Array.of(0.5)));
  const outs: Record<string, Output> = {
    identity: g.identity(x),
    add_v1: g.output(g.op("Add", [x, g.operand(1, f)], { T: f }).name),
    sub: g.sub(x, 1),
    real_div: g.realDiv(x, 3),
    maximum: g.maximum(x, 0.25),
    minimum: g.minimum(x, -0.25),
    exp: g.exp(g.mul(x, 0.1)),
    sqrt: g.sqrt(g.maximum(x, 0)),
    floor: g.floor(x),
    neg: g.neg(x),
    softmax: g.softmax(x),
    relu: g.relu(x),
    select: g.select(g.less(x, 0), x, g.zerosLike(x)),
    select_v2: g.selectV2(g.greater(x, 0.5), x, half),
    equal: g.cast(g.equal(g.floor(x), 1), f),
    transpose: g.transpose(x, [2, 0, 1]),
    squeeze: g.squeeze(g.expandDims(x, 1), [1]),
    strided_slice: g.stridedSlice(x, [0, 1, 0], [2, 3, 4], [1, 1, 2], { shrinkAxis: 0 }),
    strided_slice_shrink: g.stridedSlice(x, [1, 0, 0], [2, 3, 4], [1, 1, 1], { shrinkAxis: 1 }),
    slice: g.slice(x, [0, 1, 1], [-1, 2, 2]),
    pad: g.pad(x, g.constant(tensor(DataType.DT_INT32, [3, 2], Int32Array.of(0, 0, 1, 1, 0, 2)))),
    tile: g.tile(x, [1, 2, 1]),
    fill: g.fill([2, 2], half),
    range: g.cast(g.range(0, 7, 2), f),
    arg_max: g.cast(g.argMax(x, 2), f),
    max: g.max(x, [2]),
    sum: g.sum(x, [0, 2], true),
    mean: g.mean(x, 1),
    where: g.cast(g.where(g.greater(x, 1)), f),
    concat: g.concat([x, x], 1),
    pack: g.pack([x, x], 0),
    gather_axis1: g.gather(x, g.constant(tensor(DataType.DT_INT32, [2], Int32Array.of(2, 0))), 1),
    shape: g.cast(g.shape(x), f),
  };
  const outputs = Object.fromEntries(Object.entries(outs).map(([k, o]) => [k, { output: g.identity(o, `out/${k}`) }]));
  return { inputs: { x: { output: x, shape: inputShape } }, outputs };
}

const runScript = `
import json, sys
import numpy as np
import tensorflow as tf
fn = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
x = np.array(json.loads(sys.stdin.read()), dtype=np.float32).reshape(${JSON.stringify(inputShape)})
out = fn(x=tf.constant(x))
print(json.dumps({k: {"shape": v.shape.as_list(), "values": v.numpy().astype(np.float64).ravel().tolist()} for k, v in out.items()}))
`;

test("each builder op computes the same in TensorFlow and TensorFlow.js", async () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-ops-"));
  try {
    const builder = new GraphBuilder();
    const signature = opsGraph(builder);
    await writeSavedModel(join(dir, "1"), { graph: builder.toGraphDef(), signature });
    const expected = JSON.parse(referee().run(runScript, [join(dir, "1")], JSON.stringify([...inputValues]))) as Record<
      string,
      { shape: number[]; values: number[] }
    >;
    await useTfjsBackend("wasm");
    const runner = await TfjsSignatureRunner.fromSavedModel(join(dir, "1"));
    const x = tf.tensor(inputValues, inputShape);
    const ours = await runner.run({ x });
    const problems: string[] = [];
    for (const [k, e] of Object.entries(expected)) {
      const t = ours[k]!;
      if (JSON.stringify(t.shape) !== JSON.stringify(e.shape)) {
        problems.push(`${k}: shape ${t.shape} vs ${e.shape}`);
        continue;
      }
      const got = await t.data();
      const worst = e.values.reduce((m, v, i) => Math.max(m, Math.abs(v - Number(got[i]))), 0);
      if (!(worst <= 1e-5)) problems.push(`${k}: max difference ${worst}`);
    }
    assert.deepEqual(problems, []);
    assert.equal(Object.keys(expected).length, Object.keys(signature.outputs).length);
    tf.dispose([x, ...Object.values(ours)]);
    runner.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
