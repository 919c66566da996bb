import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { chooseSourceChannels, unmirror } from "./head.ts";
import { featureChannels, featureStride, type PretrainedHeads } from "./pretrained.ts";

test("chooseSourceChannels ranks COCO channels by the COCO head's heat at the object centres", async () => {
  await tf.setBackend("cpu");
  const c = featureChannels;
  const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 0.3, "float32", seed);
  const heads = {
    clsDepthwise: rnd([3, 3, c, 1], 1),
    clsPointwise: rnd([1, 1, c, 80], 2),
    clsBias: rnd([80], 3),
  } as unknown as PretrainedHeads;
  const grid = 5;
  const maps = [4, 5].map((seed, n) => ({
    features: rnd([grid, grid, c], seed).dataSync() as Float32Array,
    grid,
    // corners and edges exercise the zero padding; class 2 has no example
    centres: (n === 0
      ? [
          [0, 0, 0],
          [2, 3, 1],
        ]
      : [
          [4, 4, 0],
          [1, 0, 1],
          [3, 2, 0],
        ]) as Array<[number, number, number]>,
  }));
  const heat = maps.map((map) =>
    tf.tidy(() => {
      const f = tf.tensor4d(map.features, [1, grid, grid, c]);
      const dw = tf.depthwiseConv2d(f, heads.clsDepthwise, 1, "same");
      return tf
        .sigmoid(tf.add(tf.conv2d(dw, heads.clsPointwise, 1, "same"), heads.clsBias))
        .arraySync() as number[][][][];
    }),
  );
  const rank = (score: (o: number) => number) =>
    Array.from({ length: 80 }, (_, o) => o)
      .sort((a, b) => score(b) - score(a))
      .slice(0, 3);
  const classHeat = (k: number, o: number) =>
    maps.reduce(
      (sum, map, n) =>
        sum + map.centres.filter(([, , cls]) => cls === k).reduce((s, [r, col]) => s + heat[n]![0]![r]![col]![o]!, 0),
      0,
    );
  const expected = [0, 1].map((k) => rank((o) => classHeat(k, o)));
  expected.push(rank((o) => classHeat(0, o) + classHeat(1, o)));
  assert.deepEqual(chooseSourceChannels(heads, maps, 3, 3), expected);
});

test("unmirror: a box read on the mirrored input comes back as the mirror image of that box", async () => {
  await tf.setBackend("cpu");
  const grid = 6;
  const size = grid * featureStride;
  const heat = tf.randomUniform([1, grid, grid, 2], 0, 1, "float32", 7) as tf.Tensor4D;
  const distances = tf.randomUniform([1, grid, grid, 4], 0, 10, "float32", 8) as tf.Tensor4D;
  const back = unmirror({ heat, distances });
  const [h, d, bh, bd] = [heat, distances, back.heat, back.distances].map((t) => t.arraySync() as number[][][][]);
  for (let row = 0; row < grid; row++)
    for (let col = 0; col < grid; col++) {
      const [l, t, r, b] = d[0]![row]![col]!; // on the mirrored input, from its cell's left corner
      const xmin = size - (col * featureStride + r);
      const xmax = size - (col * featureStride - l);
      const at = grid - 1 - col;
      const [l2, t2, r2, b2] = bd[0]![row]![at]!;
      assert.ok(Math.abs(at * featureStride - l2 - xmin) < 1e-4, `xmin at ${row},${col}`);
      assert.ok(Math.abs(at * featureStride + r2 - xmax) < 1e-4, `xmax at ${row},${col}`);
      assert.deepEqual([t2, b2], [t, b]);
      assert.deepEqual(bh[0]![row]![at], h[0]![row]![col]);
    }
  tf.dispose([heat, distances, back.heat, back.distances]);
});
