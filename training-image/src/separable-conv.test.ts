import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "./backend.ts";
import { separableConv } from "./separable-conv.ts";

const plain = (x: tf.Tensor4D, dw: tf.Tensor4D, pw: tf.Tensor4D, bias: tf.Tensor) =>
  tf.add(tf.conv2d(tf.depthwiseConv2d(x, dw, 1, "same"), pw, 1, "same"), bias) as tf.Tensor4D;

function worst(a: tf.Tensor, b: tf.Tensor): number {
  const [u, v] = [a.dataSync(), b.dataSync()];
  assert.equal(u.length, v.length);
  let m = 0;
  for (let i = 0; i < u.length; i++) m = Math.max(m, Math.abs(u[i]! - v[i]!) / (1 + Math.abs(v[i]!)));
  return m;
}

test("separableConv: the same value and weight gradients as the plain ops, on each backend", async () => {
  await selectBackend();
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    tf.tidy(() => {
      const [b, h, w, c, k] = [2, 7, 5, 6, 3];
      const x = tf.randomNormal([b, h, w, c], 0, 1, "float32", 1) as tf.Tensor4D;
      const target = tf.randomNormal([b, h, w, k], 0, 1, "float32", 2);
      const dw = tf.variable(tf.randomNormal([3, 3, c, 1], 0, 1, "float32", 3));
      const pw = tf.variable(tf.randomNormal([1, 1, c, k], 0, 1, "float32", 4));
      const bias = tf.variable(tf.randomNormal([k], 0, 1, "float32", 5));
      const loss = (f: typeof plain) => () =>
        tf.sum(tf.mul(f(x, dw as tf.Tensor4D, pw as tf.Tensor4D, bias), target)) as tf.Scalar;
      const ours = tf.variableGrads(
        loss((xx) => separableConv(xx, dw, pw, bias)),
        [dw, pw, bias],
      );
      const reference = tf.variableGrads(loss(plain), [dw, pw, bias]);
      assert.ok(worst(ours.value, reference.value) < 1e-5, `${backend}: value`);
      for (const v of [dw, pw, bias]) {
        const d = worst(ours.grads[v.name]!, reference.grads[v.name]!);
        assert.ok(d < 1e-4, `${backend}: the gradient of ${v.name} differs by ${d}`);
      }
    });
  }
});
