// Several annotators' boxes for one image merged into one set: boxes of the same label that overlap
// (IoU ≥ 0.5) across annotators form a cluster; its box is the mean of its members. A cluster that
// most annotators drew is kept. Agreement is the share of clusters every annotator drew.
import { z } from "@hono/zod-openapi";
import { iou } from "../annotations/geometry.ts";
import { type Annotation, Box } from "../annotations/schema.ts";

export const Cluster = z
  .object({ box: Box, annotators: z.array(z.string()), kept: z.boolean(), meanIou: z.number() })
  .openapi("Cluster");
export type Cluster = z.infer<typeof Cluster>;

export const Consolidated = z
  .object({ annotators: z.array(z.string()), clusters: z.array(Cluster), agreement: z.number(), boxes: z.array(Box) })
  .openapi("Consolidated");
export type Consolidated = z.infer<typeof Consolidated>;

export const clusterIou = 0.5;

export function consolidate(annotations: Annotation[]): Consolidated {
  const voters = annotations.filter((a) => a.answer === "accept");
  const annotators = voters.map((a) => a.annotator);
  const clusters: { members: { annotator: string; box: Box }[] }[] = [];
  for (const a of voters) {
    for (const box of a.boxes) {
      let best: { index: number; value: number } | undefined;
      clusters.forEach((c, index) => {
        if (c.members.some((m) => m.annotator === a.annotator) || c.members[0]!.box.label !== box.label) return;
        const value = Math.min(...c.members.map((m) => iou(m.box, box)));
        if (value >= clusterIou && (best === undefined || value > best.value)) best = { index, value };
      });
      if (best === undefined) clusters.push({ members: [{ annotator: a.annotator, box }] });
      else clusters[best.index]!.members.push({ annotator: a.annotator, box });
    }
  }
  const out = clusters.map(({ members }): Cluster => {
    const mean = (key: "x" | "y" | "width" | "height") => members.reduce((s, m) => s + m.box[key], 0) / members.length;
    const pairs: number[] = [];
    for (let i = 0; i < members.length; i++)
      for (let j = i + 1; j < members.length; j++) pairs.push(iou(members[i]!.box, members[j]!.box));
    return {
      box: { label: members[0]!.box.label, x: mean("x"), y: mean("y"), width: mean("width"), height: mean("height") },
      annotators: members.map((m) => m.annotator),
      kept: members.length * 2 > annotators.length,
      meanIou: pairs.length === 0 ? 1 : pairs.reduce((s, v) => s + v, 0) / pairs.length,
    };
  });
  const full = out.filter((c) => c.annotators.length === annotators.length).length;
  return {
    annotators,
    clusters: out,
    agreement: out.length === 0 ? 1 : full / out.length,
    boxes: out.filter((c) => c.kept).map((c) => c.box),
  };
}
