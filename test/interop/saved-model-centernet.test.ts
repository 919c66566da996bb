// The trainer's export embeds the pretrained CenterNet backbone from @vladmandic/human (a TF.js graph
// model with fp16 weights and fused convolutions). A SavedModel built on it loads in real TensorFlow
// and matches TensorFlow.js within 1e-4.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { GraphBuilder } from "../../proto/src/graph-builder.ts";
import { writeSavedModel } from "../../proto/src/saved-model-writer.ts";
import { DataType } from "../../proto/src/tensor.ts";
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
