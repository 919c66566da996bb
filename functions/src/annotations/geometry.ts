// Box arithmetic in pixels: clipping to the image, IoU, and what became of each predicted box.
import type { Box, Fate } from "./schema.ts";

type Rect = { x: number; y: number; width: number; height: number };

/** The part of the box inside the image, or undefined when nothing (or a sliver under 1e-6 px) is left. */
export function clip<B extends Rect>(box: B, width: number, height: number): B | undefined {
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(width, box.x + box.width);
  const y1 = Math.min(height, box.y + box.height);
  if (x1 - x0 <= 1e-6 || y1 - y0 <= 1e-6) return undefined;
  return { ...box, x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

export function iou(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** IoU at or above which a kept box counts as accepted unchanged. */
export const acceptedIou = 0.95;
/** IoU below which a predicted and an answered box are unrelated. */
export const matchIou = 0.1;

/**
 * Pairs predicted boxes with answered ones greedily by IoU (highest first), then names each fate:
 * same label and IoU ≥ 0.95 accepted; same label otherwise moved; other label relabelled;
 * an unpaired prediction deleted; an unpaired answer box added.
 */
export function fates(predicted: Box[], answered: Box[]): Fate[] {
  const pairs: { p: number; a: number; iou: number }[] = [];
  predicted.forEach((p, i) => {
    answered.forEach((a, j) => {
      const v = iou(p, a);
      if (v >= matchIou) pairs.push({ p: i, a: j, iou: v });
    });
  });
  pairs.sort(
    (x, y) =>
      y.iou - x.iou ||
      Number(answered[y.a]!.label === predicted[y.p]!.label) - Number(answered[x.a]!.label === predicted[x.p]!.label),
  );
  const usedP = new Set<number>();
  const usedA = new Set<number>();
  const out: Fate[] = [];
  for (const { p, a, iou: v } of pairs) {
    if (usedP.has(p) || usedA.has(a)) continue;
    usedP.add(p);
    usedA.add(a);
    const from = predicted[p]!.label;
    const to = answered[a]!.label;
    const rounded = Math.round(v * 1e6) / 1e6;
    if (from !== to) out.push({ fate: "relabelled", predicted: p, box: a, iou: rounded, from, to });
    else out.push({ fate: v >= acceptedIou ? "accepted" : "moved", predicted: p, box: a, iou: rounded });
  }
  predicted.forEach((_, i) => {
    if (!usedP.has(i)) out.push({ fate: "deleted", predicted: i });
  });
  answered.forEach((_, j) => {
    if (!usedA.has(j)) out.push({ fate: "added", box: j });
  });
  return out.sort((x, y) => (x.predicted ?? 1e9) - (y.predicted ?? 1e9) || (x.box ?? 0) - (y.box ?? 0));
}
