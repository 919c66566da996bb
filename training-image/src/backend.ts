// Chooses the TensorFlow.js backend once at start: tfjs-node-gpu when it is installed (the container),
// else whichever of WASM (SIMD) and CPU runs a small training step faster on this machine.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerAllGradients } from "./gradients.ts";
import { installWasmGradients } from "./wasm-grads.ts";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendReport {
  backend: BackendName;
  simd?: boolean;
  /** Milliseconds per probe step, for each backend measured. */
  probeMs: Partial<Record<BackendName, number>>;
  reason: string;
}

registerAllGradients();

let chosen: BackendReport | undefined;

async function tryTensorflow(): Promise<boolean> {
  try {
    // Installed only by the Dockerfile; never a package.json dependency.
    const name = "@tensorflow/tfjs-node-gpu";
    await import(name);
    return await tf.setBackend("tensorflow");
  } catch {
    return false;
  }
}

async function useWasm(): Promise<boolean> {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));
  setWasmPaths(`${join(dist)}/`);
  if (!(await tf.setBackend("wasm"))) return false;
  installWasmGradients();
  return true;
}

/** One small conv-head training step: what the trainer does most. */
async function probe(): Promise<number> {
  const x = tf.randomNormal([2, 40, 40, 64]) as tf.Tensor4D;
  const dw = tf.variable(tf.randomNormal([3, 3, 64, 1], 0, 0.1));
  const pw = tf.variable(tf.randomNormal([1, 1, 64, 8], 0, 0.1));
  const opt = tf.train.sgd(0.01);
  const step = () =>
    tf.tidy(() => {
      opt.minimize(() =>
        tf.mean(
          tf.square(tf.conv2d(tf.depthwiseConv2d(x, dw as tf.Tensor4D, 1, "same"), pw as tf.Tensor4D, 1, "same")),
        ),
      );
    });
  step();
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) step();
  await tf.sum(dw).data();
  const ms = (performance.now() - t0) / 3;
  tf.dispose([x, dw, pw]);
  opt.dispose();
  return ms;
}

/**
 * Sets the backend for the whole process and returns what ran. `BOXLOOP_BACKEND` (wasm|cpu|tensorflow)
 * forces one; otherwise both CPU-side backends are measured once.
 */
export async function selectBackend(log: (line: string) => void = () => {}): Promise<BackendReport> {
  if (chosen) return chosen;
  tf.env().set("PROD", true); // no per-op NaN checks, no console banner
  const forced = process.env.BOXLOOP_BACKEND as BackendName | undefined;
  if ((forced === undefined || forced === "tensorflow") && (await tryTensorflow())) {
    chosen = { backend: "tensorflow", probeMs: {}, reason: "tfjs-node-gpu is installed" };
  } else if (forced === "wasm" || forced === "cpu") {
    const ok = forced === "wasm" ? await useWasm() : await tf.setBackend("cpu");
    if (!ok) throw new Error(`backend '${forced}' could not be initialised`);
    chosen = { backend: forced, probeMs: {}, reason: "BOXLOOP_BACKEND" };
  } else {
    const probeMs: Partial<Record<BackendName, number>> = {};
    await tf.setBackend("cpu");
    probeMs.cpu = await probe();
    if (await useWasm()) probeMs.wasm = await probe();
    const backend: BackendName = probeMs.wasm !== undefined && probeMs.wasm <= probeMs.cpu ? "wasm" : "cpu";
    if (backend !== tf.getBackend()) await tf.setBackend(backend);
    chosen = { backend, probeMs, reason: "faster on the probe step" };
  }
  if (chosen.backend === "wasm") chosen.simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
  await tf.ready();
  const probes = Object.entries(chosen.probeMs)
    .map(([k, v]) => `${k} ${v.toFixed(1)} ms/step`)
    .join(", ");
  log(`backend: ${chosen.backend}${chosen.simd ? " (SIMD)" : ""} (${chosen.reason}${probes ? `: ${probes}` : ""})`);
  return chosen;
}
