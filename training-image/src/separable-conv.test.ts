import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "./backend.ts";
import { separableConvs } from "./separable-conv.ts";

const plain = (x: tf.Tensor4D, dw: tf.Tensor4D, pw: tf.Tensor4D, bias: tf.Tensor) =>
  tf.add(tf.conv2d(tf.depthwiseConv2d(x, dw, 1, "same"), pw, 1, "same"), bias) as tf.Tensor4D;

function worst(a: tf.Tensor, b: tf.Tensor): number {
  const [u, v] = [a.dataSync(), b.dataSync()];
  assert.equal(u.length, v.length);
  let m = 0;
  for (let i = 0; i < u.length; i++) m = Math.max(m, Math.abs(u[i]! - v[i]!) / (1 + Math.abs(v[i]!)));
  return m;
}

test("separableConvs: the same values and weight gradients as the plain ops, for two branches, on each backend", async () => {
  await selectBackend();
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    tf.tidy(() => {
      const [b, h, w, c] = [2, 7, 5, 6];
      const ks = [3, 2];
      const x = tf.randomNormal([b, h, w, c], 0, 1, "float32", 1) as tf.Tensor4D;
      const target = tf.randomNormal([b, h, w, ks[0]! + ks[1]!], 0, 1, "float32", 2);
      const branches = ks.map((k, i) => ({
        depthwise: tf.variable(tf.randomNormal([3, 3, c, 1], 0, 1, "float32", 3 + 3 * i)),
        pointwise: tf.variable(tf.randomNormal([1, 1, c, k], 0, 1, "float32", 4 + 3 * i)),
        bias: tf.variable(tf.randomNormal([k], 0, 1, "float32", 5 + 3 * i)),
      }));
      const vars = branches.flatMap((br) => [br.depthwise, br.pointwise, br.bias]);
      const loss = (f: () => tf.Tensor) => () => tf.sum(tf.mul(f(), target)) as tf.Scalar;
      const ours = tf.variableGrads(
        loss(() => separableConvs(x, branches)),
        vars,
      );
      const reference = tf.variableGrads(
        loss(() =>
          tf.concat(
            branches.map((br) => plain(x, br.depthwise as tf.Tensor4D, br.pointwise as tf.Tensor4D, br.bias)),
            3,
          ),
        ),
        vars,
      );
      assert.ok(worst(ours.value, reference.value) < 1e-5, `${backend}: value`);
      for (const v of vars) {
        const d = worst(ours.grads[v.name]!, reference.grads[v.name]!);
        assert.ok(d < 1e-4, `${backend}: the gradient of ${v.name} differs by ${d}`);
      }
    });
  }
});
