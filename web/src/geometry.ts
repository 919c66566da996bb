// Boxes in image pixels, and what became of each model suggestion once the annotator answered.

export interface Box {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Suggestion extends Box {
  score: number;
}

export type Fate =
  | { kind: "accepted"; suggestion: number }
  | { kind: "moved"; suggestion: number; iou: number }
  | { kind: "relabelled"; suggestion: number; iou: number; from: string; to: string }
  | { kind: "deleted"; suggestion: number }
  | { kind: "added"; box: number };

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Keeps a box inside the image and with a positive size (at least 1 px). */
export function clampBox<T extends Box>(box: T, imageWidth: number, imageHeight: number): T {
  const x = Math.min(Math.max(0, box.x), imageWidth - 1);
  const y = Math.min(Math.max(0, box.y), imageHeight - 1);
  const width = Math.max(1, Math.min(box.width, imageWidth - x));
  const height = Math.max(1, Math.min(box.height, imageHeight - y));
  return { ...box, x, y, width, height };
}

/** A box from two corner points, in any order. */
export function boxFromCorners(label: string, x0: number, y0: number, x1: number, y1: number): Box {
  return { label, x: Math.min(x0, x1), y: Math.min(y0, y1), width: Math.abs(x1 - x0), height: Math.abs(y1 - y0) };
}

/** Rounds to 0.01 px so answers are stable across zoom levels and float noise. */
export function roundBox<T extends Box>(box: T): T {
  const r = (v: number) => Math.round(v * 100) / 100;
  return { ...box, x: r(box.x), y: r(box.y), width: r(box.width), height: r(box.height) };
}

/** Sub-pixel changes are not a move: the annotator did not touch the box. */
const unchangedIoU = 0.995;

/**
 * The fate of every shown suggestion, given the final boxes, each tagged with the index of the
 * suggestion it came from (or null when drawn by hand).
 */
export function suggestionFates(
  suggestions: readonly Box[],
  shown: readonly number[],
  final: readonly (Box & { from: number | null })[],
): Fate[] {
  const fates: Fate[] = [];
  for (const s of shown) {
    const box = final.find((b) => b.from === s);
    const suggestion = suggestions[s]!;
    if (!box) {
      fates.push({ kind: "deleted", suggestion: s });
      continue;
    }
    const overlap = iou(suggestion, box);
    if (box.label !== suggestion.label) {
      fates.push({ kind: "relabelled", suggestion: s, iou: overlap, from: suggestion.label, to: box.label });
    } else if (overlap >= unchangedIoU) fates.push({ kind: "accepted", suggestion: s });
    else fates.push({ kind: "moved", suggestion: s, iou: overlap });
  }
  final.forEach((b, i) => {
    if (b.from === null) fates.push({ kind: "added", box: i });
  });
  return fates;
}

export interface FateCounts {
  accepted: number;
  corrected: number;
}

export function countFates(fates: readonly Fate[]): FateCounts {
  const accepted = fates.filter((f) => f.kind === "accepted").length;
  return { accepted, corrected: fates.length - accepted };
}
