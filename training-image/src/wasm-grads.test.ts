import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "./backend.ts";

// The WASM gradient kernels are ours (wasm-grads.ts): each must give the CPU backend's gradients.
type Shape = [number, number, number, number];
type Case = { name: string; x: Shape; w: Shape; stride: number; pad: "same" | "valid"; depthwise?: boolean };
const cases: Case[] = [
  { name: "1×1 conv, cout < cin (dyᵀ·x)", x: [2, 5, 6, 16], w: [1, 1, 16, 3], stride: 1, pad: "same" },
  { name: "1×1 conv, cout > cin", x: [2, 5, 6, 3], w: [1, 1, 3, 8], stride: 1, pad: "same" },
  { name: "3×3 conv", x: [2, 7, 6, 4], w: [3, 3, 4, 5], stride: 1, pad: "same" },
  { name: "3×3 conv, stride 2", x: [1, 9, 8, 3], w: [3, 3, 3, 4], stride: 2, pad: "same" },
  { name: "depthwise 3×3", x: [2, 6, 7, 5], w: [3, 3, 5, 1], stride: 1, pad: "same", depthwise: true },
  {
    name: "depthwise 3×3, stride 2, valid",
    x: [1, 9, 9, 4],
    w: [3, 3, 4, 1],
    stride: 2,
    pad: "valid",
    depthwise: true,
  },
];

function gradients(c: Case, seed: number): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, "float32", seed) as tf.Tensor4D;
    const w = tf.randomNormal(c.w, 0, 1, "float32", seed + 1) as tf.Tensor4D;
    const conv = (xx: tf.Tensor4D, ww: tf.Tensor4D) =>
      c.depthwise ? tf.depthwiseConv2d(xx, ww, c.stride, c.pad) : tf.conv2d(xx, ww, c.stride, c.pad);
    const target = tf.randomNormal(conv(x, w).shape, 0, 1, "float32", seed + 2);
    const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(tf.mul(conv(xx as tf.Tensor4D, ww as tf.Tensor4D), target)),
    )([x, w]);
    // Copies: on WASM, dataSync may return a view of the heap that later ops overwrite.
    return { dx: Float32Array.from(dx!.dataSync()), dw: Float32Array.from(dw!.dataSync()) };
  });
}

test("WASM's conv and depthwise gradient kernels equal the CPU backend's", async () => {
  process.env.BOXLOOP_BACKEND = "wasm";
  await selectBackend();
  assert.equal(tf.getBackend(), "wasm");
  for (const [i, c] of cases.entries()) {
    const wasm = gradients(c, 10 * i + 1);
    await tf.setBackend("cpu");
    const cpu = gradients(c, 10 * i + 1);
    await tf.setBackend("wasm");
    for (const part of ["dx", "dw"] as const) {
      assert.equal(wasm[part].length, cpu[part].length, `${c.name} ${part}`);
      const worst = Math.max(...cpu[part].map((v, j) => Math.abs(v - wasm[part][j]!) / (1 + Math.abs(v))));
      assert.ok(worst < 1e-4, `${c.name}: ${part} differs by ${worst}`);
    }
  }
});
