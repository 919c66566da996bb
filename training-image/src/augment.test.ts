import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { augmentationNames, makeAugmentation, type Sample } from "./augment.ts";
import { seededRng } from "./random.ts";

// A 4×6 image with one bright pixel, and a box around it: every geometric augmentation must move both alike.
function sample(): Sample {
  const data = new Float32Array(4 * 6 * 3);
  data.set([255, 255, 255], (1 * 6 + 4) * 3); // row 1, col 4
  return {
    image: tf.tensor3d(data, [4, 6, 3]),
    boxes: [{ cls: 0, ymin: 1 / 4, xmin: 4 / 6, ymax: 2 / 4, xmax: 5 / 6 }],
  };
}

function brightCentre(s: Sample): [number, number] {
  const [h, w] = s.image.shape;
  const v = s.image.dataSync();
  let best = -1;
  let at: [number, number] = [0, 0];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (v[(y * w + x) * 3]! > best) {
        best = v[(y * w + x) * 3]!;
        at = [(y + 0.5) / h, (x + 0.5) / w];
      }
  return at;
}

const always = { probability: 1 };

test("flips and rotation move the boxes with the pixels", async () => {
  await tf.setBackend("cpu");
  for (const name of ["random_horizontal_flip", "random_vertical_flip", "random_rotation90"] as const) {
    const out = makeAugmentation({ name, options: always })(sample(), seededRng(1));
    const [cy, cx] = brightCentre(out);
    const b = out.boxes[0]!;
    assert.ok(b.ymin < cy && cy < b.ymax && b.xmin < cx && cx < b.xmax, `${name}: pixel inside the box`);
    out.image.dispose();
  }
});

test("every augmentation keeps boxes normalized and valid", async () => {
  await tf.setBackend("cpu");
  for (const name of augmentationNames) {
    for (let seed = 1; seed < 20; seed++) {
      const out = makeAugmentation({ name, options: {} })(sample(), seededRng(seed));
      assert.equal(out.image.shape[2], 3);
      for (const b of out.boxes) {
        for (const v of [b.ymin, b.xmin, b.ymax, b.xmax]) assert.ok(v >= 0 && v <= 1, `${name}: ${v} in [0,1]`);
        assert.ok(b.ymax > b.ymin && b.xmax > b.xmin, `${name}: non-empty box`);
      }
      out.image.dispose();
    }
  }
});
