// The trainer's export embeds the pretrained CenterNet backbone from @vladmandic/human (a TF.js graph
// model with fp16 weights and fused convolutions). A SavedModel built on it loads in real TensorFlow
// and matches TensorFlow.js within 1e-4.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { GraphBuilder } from "../../proto/src/graph-builder.ts";
import { writeSavedModel } from "../../proto/src/saved-model-writer.ts";
import { DataType, tensor } from "../../proto/src/tensor.ts";
import { importTfjsGraphModel, readTfjsGraphModel } from "../../proto/src/tfjs-graph-import.ts";
import { addDetectionHead } from "./detection-graph.ts";
import { compareWithTensorFlow } from "./saved-model-compare.ts";

const humanMain = createRequire(import.meta.url).resolve("@vladmandic/human");
const human = humanMain.slice(0, humanMain.lastIndexOf("@vladmandic/human") + "@vladmandic/human".length);

const stride8 = "tower_0/MobilenetV3/expanded_conv_5/add";

test("a SavedModel embedding the imported CenterNet backbone runs in TensorFlow and matches TensorFlow.js", async () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-centernet-"));
  try {
    const g = new GraphBuilder();
    const input = g.placeholder("input_tensor", DataType.DT_UINT8, [1, -1, -1, 3]);
    const images = g.resizeBilinear(g.cast(input, DataType.DT_FLOAT), [320, 320]);
    const backbone = importTfjsGraphModel(g, await readTfjsGraphModel(join(human, "models", "centernet.json")), {
      prefix: "centernet",
      inputs: { "tower_0/images": images },
      outputs: [stride8],
    });
    // Stride-8 features: [1, 40, 40, 32] at 320; scaled so the random head's logits stay moderate.
    const features = g.mul(backbone.output(stride8), 1 / 32);
    const outputs = addDetectionHead(g, features, 32, 40, 2);
    const version = join(dir, "1");
    const signature = { inputs: { input_tensor: { output: input, shape: [1, -1, -1, 3] } }, outputs };
    await writeSavedModel(version, { graph: g.toGraphDef(), signature });
    await compareWithTensorFlow(version, 1e-4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the whole CenterNet neck, with its resize targets patched for 320 input, runs in TensorFlow as in TensorFlow.js", async () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-centernet-"));
  try {
    const g = new GraphBuilder();
    const input = g.placeholder("input_tensor", DataType.DT_UINT8, [1, -1, -1, 3]);
    const images = g.resizeBilinear(g.cast(input, DataType.DT_FLOAT), [320, 320]);
    // The neck upsamples to fixed sizes (32, 64, 128 at 512 input): 20, 40, 80 at 320.
    const resizeTargets: Record<string, number> = {
      "tower_0/CenternetHead/c5_upsample/up_sampling2d/mul": 20,
      "tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul": 40,
      "tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul": 80,
    };
    const patched: string[] = [];
    const net = importTfjsGraphModel(g, await readTfjsGraphModel(join(human, "models", "centernet.json")), {
      prefix: "centernet",
      inputs: { "tower_0/images": images },
      outputs: ["tower_0/keypoints", "tower_0/wh"],
      patchConst: (name, value) => {
        const size = resizeTargets[name];
        if (size === undefined) return value;
        patched.push(name);
        return tensor(DataType.DT_INT32, [2], Int32Array.of(size, size));
      },
    });
    assert.equal(patched.length, 3);
    const signature = {
      inputs: { input_tensor: { output: input, shape: [1, -1, -1, 3] } },
      outputs: {
        keypoints: { output: g.identity(net.output("tower_0/keypoints"), "keypoints"), shape: [1, 80, 80, 80] },
        wh: { output: g.identity(net.output("tower_0/wh"), "wh"), shape: [1, 80, 80, 4] },
      },
    };
    const version = join(dir, "1");
    await writeSavedModel(version, { graph: g.toGraphDef(), signature });
    // wh is in pixels (values in the hundreds): compare it relatively.
    await compareWithTensorFlow(version, 1e-4, { relative: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
