// Training targets on the stride-4 grid (TTFNet-style): an elliptical Gaussian heatmap per object
// peaking at its centre cell, and box distances at the cells under each Gaussian, weighted by it.
import { featureStride } from "./pretrained.ts";

/** A box in input pixels (after letterbox / augmentation), with its 0-based class. */
export interface PixelBox {
  cls: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

export interface Targets {
  /** [g,g,K] in 0..1, exactly 1 at each object's centre cell. */
  heatmap: Float32Array;
  /** [g,g,4] left, top, right, bottom in input pixels from the cell's point (col*4, row*4). */
  distances: Float32Array;
  /** [g,g,1] regression weight. */
  weight: Float32Array;
  /** [g,g,4] the target box (x1,y1,x2,y2) at each weighted cell, for the IoU loss. */
  boxes: Float32Array;
}

const alpha = 0.54;

export function makeTargets(boxes: PixelBox[], grid: number, numClasses: number): Targets {
  const heatmap = new Float32Array(grid * grid * numClasses);
  const distances = new Float32Array(grid * grid * 4);
  const weight = new Float32Array(grid * grid);
  const target = new Float32Array(grid * grid * 4);
  const area = new Float32Array(grid * grid).fill(Number.POSITIVE_INFINITY);
  // Larger boxes first, so that a smaller box overwrites the regression target where they overlap.
  const sorted = [...boxes].sort(
    (a, b) => (b.xmax - b.xmin) * (b.ymax - b.ymin) - (a.xmax - a.xmin) * (a.ymax - a.ymin),
  );
  for (const box of sorted) {
    const w = (box.xmax - box.xmin) / featureStride;
    const h = (box.ymax - box.ymin) / featureStride;
    if (w <= 0 || h <= 0) continue;
    const cx = Math.min(grid - 1, Math.max(0, Math.floor((box.xmin + box.xmax) / 2 / featureStride + 0.5)));
    const cy = Math.min(grid - 1, Math.max(0, Math.floor((box.ymin + box.ymax) / 2 / featureStride + 0.5)));
    const sx = Math.max((alpha * w) / 6, 0.5);
    const sy = Math.max((alpha * h) / 6, 0.5);
    const rx = Math.ceil(3 * sx);
    const ry = Math.ceil(3 * sy);
    const boxArea = (box.xmax - box.xmin) * (box.ymax - box.ymin);
    for (let y = Math.max(0, cy - ry); y <= Math.min(grid - 1, cy + ry); y++) {
      for (let x = Math.max(0, cx - rx); x <= Math.min(grid - 1, cx + rx); x++) {
        const g = Math.exp(-((x - cx) ** 2) / (2 * sx * sx) - (y - cy) ** 2 / (2 * sy * sy));
        const hi = (y * grid + x) * numClasses + box.cls;
        heatmap[hi] = Math.max(heatmap[hi]!, x === cx && y === cy ? 1 : g);
        const px = x * featureStride;
        const py = y * featureStride;
        const inside = px >= box.xmin && px <= box.xmax && py >= box.ymin && py <= box.ymax;
        const cell = y * grid + x;
        if (!inside || g < 0.05 || boxArea > area[cell]!) continue;
        area[cell] = boxArea;
        weight[cell] = g;
        distances.set([px - box.xmin, py - box.ymin, box.xmax - px, box.ymax - py], cell * 4);
        target.set([box.xmin, box.ymin, box.xmax, box.ymax], cell * 4);
      }
    }
  }
  return { heatmap, distances, weight, boxes: target };
}
