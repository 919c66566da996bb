// Picks the TensorFlow.js backend for Node: WASM with SIMD (threads do not work in Node), or the
// pure-JS CPU backend, which is exact but slow.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export type TfjsBackend = "wasm" | "cpu";

let wasmPathsSet = false;

export async function useTfjsBackend(name: TfjsBackend = "wasm"): Promise<void> {
  if (name === "wasm" && !wasmPathsSet) {
    const main = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
    // main is dist/tf-backend-wasm.node.js (or similar); the .wasm files sit in dist/.
    setWasmPaths(`${join(dirname(main), "/")}`);
    wasmPathsSet = true;
  }
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) throw new Error(`TensorFlow.js backend ${name} failed to initialise`);
  await tf.ready();
}
