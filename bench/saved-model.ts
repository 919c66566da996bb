// Time to write a SavedModel holding 10 MB of float32 weights (graph build + serialize + fsync +
// rename), against writing the same number of bytes durably with fs in the same run. Best of 5.
import { randomFillSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataType, GraphBuilder, readSavedModel, tensor, writeDurably, writeSavedModel } from "@boxloop/proto";

const weightBytes = 10 * 1024 * 1024;
const layers = 40;
const perLayer = weightBytes / 4 / layers;
const rounds = 5;
const dir = await mkdtemp(join(tmpdir(), "bench-saved-model-"));

const weights = Array.from({ length: layers }, () => {
  const w = new Float32Array(perLayer);
  randomFillSync(w);
  return w;
});

function build() {
  const g = new GraphBuilder();
  const x = g.placeholder("input_tensor", DataType.DT_FLOAT, [1, -1]);
  let y = x;
  for (const [i, w] of weights.entries()) {
    y = g.add(y, g.sum(g.constant(tensor(DataType.DT_FLOAT, [w.length], w), `w${i}`), [0]));
  }
  const signature = {
    inputs: { input_tensor: { output: x, shape: [1, -1] } },
    outputs: { y: { output: y, shape: [1, -1] } },
  };
  return { graph: g.toGraphDef(), signature };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

let n = 0;
const raw = new Uint8Array(weightBytes);
randomFillSync(raw);
try {
  const baseline = await time(() => writeDurably(join(dir, `raw-${n++}.bin`), raw));
  const saved = await time(() => writeSavedModel(join(dir, "model", String(n++)), build()));
  const buildOnly = await time(async () => build());
  const read = await time(() => readSavedModel(join(dir, "model", String(n - 1))));
  console.log(`SavedModel with ${weightBytes / 2 ** 20} MiB of weights in ${layers} Consts (best of ${rounds}):`);
  console.log(`  write SavedModel (build graph + serialize + fsync + rename): ${saved.toFixed(1)} ms`);
  console.log(`    of which building the GraphDef (weights copied into Consts):   ${buildOnly.toFixed(1)} ms`);
  console.log(`  baseline: the same bytes written durably with fs:           ${baseline.toFixed(1)} ms`);
  console.log(`  ratio SavedModel / baseline: ${(saved / baseline).toFixed(2)}x`);
  console.log(`  read saved_model.pb back: ${read.toFixed(1)} ms`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
