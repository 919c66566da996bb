// Checkpoints in the model dir (local or s3://): `ckpt-<step>.bin`, one file each (a JSON header, then
// float32 data), written atomically. The newest `keep` are kept; a run resumes from the newest.
import * as tf from "@tensorflow/tfjs-core";
import { type HeadWeights, headFromValues, headWeightNames } from "./head.ts";
import type { HeadOptimizer } from "./optimizer.ts";
import { joinUri, listNames, readBytes, removeTree, writeBytes } from "./storage.ts";

export interface CheckpointMeta {
  step: number;
  labels: string[];
  imageSize: number;
  resize: "letterbox" | "stretch";
  channelsPerClass: number;
  optimizerKind: string;
  optimizerT: number;
  createdAt: string;
}

interface Entry {
  name: string;
  shape: number[];
  offset: number;
}

const pattern = /^ckpt-(\d+)\.bin$/;

export function checkpointName(step: number): string {
  return `ckpt-${String(step).padStart(8, "0")}.bin`;
}

export async function listCheckpoints(modelDir: string): Promise<Array<{ step: number; name: string }>> {
  return (await listNames(modelDir))
    .map((name) => ({ name, m: pattern.exec(name) }))
    .filter((x) => x.m)
    .map((x) => ({ name: x.name, step: Number(x.m![1]) }))
    .sort((a, b) => a.step - b.step);
}

export async function saveCheckpoint(
  modelDir: string,
  meta: Omit<CheckpointMeta, "optimizerT" | "channelsPerClass" | "createdAt">,
  head: HeadWeights,
  optimizer: HeadOptimizer,
  keep: number,
): Promise<string> {
  const tensors: Array<[string, tf.Tensor]> = headWeightNames.map((n) => [`head/${n}`, head[n]]);
  const state = optimizer.state();
  for (const [name, slots] of Object.entries(state.slots))
    slots.forEach((s, i) => {
      tensors.push([`opt/${name}/${i}`, s]);
    });
  const entries: Entry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const data = (await t.data()) as Float32Array;
    entries.push({ name, shape: t.shape, offset });
    chunks.push(data);
    offset += data.length;
  }
  const full: CheckpointMeta = {
    ...meta,
    channelsPerClass: head.channelsPerClass,
    optimizerT: state.t,
    createdAt: new Date().toISOString(),
  };
  const header = new TextEncoder().encode(JSON.stringify({ meta: full, entries }));
  const pad = (4 - ((4 + header.length) % 4)) % 4;
  const out = new Uint8Array(4 + header.length + pad + offset * 4);
  new DataView(out.buffer).setUint32(0, header.length + pad, true);
  out.set(header, 4);
  out.fill(0x20, 4 + header.length, 4 + header.length + pad);
  let at = 4 + header.length + pad;
  for (const c of chunks) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at += c.byteLength;
  }
  const name = checkpointName(meta.step);
  await writeBytes(joinUri(modelDir, name), out);
  const all = await listCheckpoints(modelDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await removeTree(joinUri(modelDir, old.name));
  return name;
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  head: HeadWeights;
  optimizerSlots: Record<string, tf.Tensor[]>;
}

export async function loadCheckpoint(uri: string): Promise<LoadedCheckpoint> {
  const bytes = await readBytes(uri);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  const { meta, entries } = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength))) as {
    meta: CheckpointMeta;
    entries: Entry[];
  };
  const data = new Float32Array(bytes.slice(4 + headerLength).buffer);
  const tensors = new Map<string, tf.Tensor>();
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.name, tf.tensor(data.subarray(e.offset, e.offset + n), e.shape));
  }
  const values = Object.fromEntries(headWeightNames.map((n) => [n, tensors.get(`head/${n}`)!])) as Record<
    (typeof headWeightNames)[number],
    tf.Tensor
  >;
  const head = headFromValues(values, meta.channelsPerClass);
  tf.dispose(Object.values(values));
  const optimizerSlots: Record<string, tf.Tensor[]> = {};
  for (const [name, t] of tensors) {
    const m = /^opt\/(.+)\/(\d+)$/.exec(name);
    if (!m) continue;
    const slots = optimizerSlots[m[1]!] ?? [];
    slots[Number(m[2])] = t;
    optimizerSlots[m[1]!] = slots;
  }
  return { meta, head, optimizerSlots };
}

/** The newest readable checkpoint, or undefined for a first run. */
export async function latestCheckpoint(modelDir: string): Promise<LoadedCheckpoint | undefined> {
  const all = await listCheckpoints(modelDir);
  for (const c of all.reverse()) {
    try {
      return await loadCheckpoint(joinUri(modelDir, c.name));
    } catch {
      // A torn or foreign file: try the one before it.
    }
  }
  return undefined;
}
