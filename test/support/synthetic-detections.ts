// Seeded synthetic detections for metric tests and benchmarks: jittered copies of ground truth
// (some missed, some duplicated), false positives, random scores. Deterministic for a seed.
import type { Detection, GroundTruthBox } from "@boxloop/training-image/eval/types";

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  /** Chance a ground truth box gets a detection. */
  recall?: number;
  /** Jitter of each edge, as a fraction of the box's size. */
  jitter?: number;
  /** False positives per image: 0..this many. */
  falsePositives?: number;
  /** Chance a detection is emitted twice (a duplicate with another score). */
  duplicates?: number;
  /** Labels false positives may take (default: the ground truth's). */
  labels?: string[];
}

export function syntheticDetections(
  rand: () => number,
  image: { width: number; height: number; groundTruth: GroundTruthBox[] },
  options: SyntheticOptions = {},
): Detection[] {
  const { recall = 0.85, jitter = 0.15, falsePositives = 3, duplicates = 0.1 } = options;
  const labels = options.labels ?? [...new Set(image.groundTruth.map((g) => g.label))];
  const out: Detection[] = [];
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  for (const g of image.groundTruth) {
    if (rand() > recall) continue;
    const w = g.xmax - g.xmin;
    const h = g.ymax - g.ymin;
    const j = () => (rand() * 2 - 1) * jitter;
    const box = {
      label: g.label,
      score: rand(),
      xmin: clamp(g.xmin + j() * w, image.width),
      ymin: clamp(g.ymin + j() * h, image.height),
      xmax: clamp(g.xmax + j() * w, image.width),
      ymax: clamp(g.ymax + j() * h, image.height),
    };
    if (box.xmax <= box.xmin || box.ymax <= box.ymin) continue;
    out.push(box);
    if (rand() < duplicates) out.push({ ...box, score: rand() });
  }
  if (labels.length > 0) {
    const n = Math.floor(rand() * (falsePositives + 1));
    for (let i = 0; i < n; i++) {
      const x = rand() * image.width * 0.9;
      const y = rand() * image.height * 0.9;
      out.push({
        label: labels[Math.floor(rand() * labels.length)]!,
        score: rand() * 0.8,
        xmin: x,
        ymin: y,
        xmax: Math.min(x + (0.05 + rand() * 0.5) * image.width, image.width),
        ymax: Math.min(y + (0.05 + rand() * 0.5) * image.height, image.height),
      });
    }
  }
  return out;
}
