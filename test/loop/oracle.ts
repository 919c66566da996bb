// Raccoon gold labels and an oracle annotator that answers through the HTTP API, for loop tests.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ApiClient } from "@boxloop/local/api-client";

export const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");

export interface GoldImage {
  fileName: string;
  boxes: { label: string; x: number; y: number; width: number; height: number }[];
}

/** The first `count` images of a raccoon CSV, with their boxes. */
export function goldImages(csv: string, count: number): GoldImage[] {
  const byName = new Map<string, GoldImage>();
  for (const line of readFileSync(join(raccoon, "data", csv), "utf8")
    .trim()
    .split("\n")
    .slice(1)) {
    const [fileName, , , label, xmin, ymin, xmax, ymax] = line.split(",");
    const image = byName.get(fileName!) ?? { fileName: fileName!, boxes: [] };
    image.boxes.push({ label: label!, x: +xmin!, y: +ymin!, width: +xmax! - +xmin!, height: +ymax! - +ymin! });
    byName.set(fileName!, image);
  }
  return [...byName.values()].slice(0, count);
}

/** Uploads the images through presigned PUTs. */
export async function upload(api: ApiClient, cid: string, images: GoldImage[]) {
  for (const image of images)
    await api.uploadImage(cid, image.fileName, await readFile(join(raccoon, "images", image.fileName)));
}

export interface Task {
  image: { id: string; fileName: string };
  predictions: { modelVersion: string; boxes: unknown[] } | null;
  predictionsUnavailable: boolean;
}

/** Answers `count` tasks as `annotator` with the gold boxes; returns the tasks it got. */
export async function answer(api: ApiClient, cid: string, gold: GoldImage[], count: number, annotator = "oracle") {
  const byName = new Map(gold.map((g) => [g.fileName, g]));
  const tasks: Task[] = [];
  for (let i = 0; i < count; i++) {
    const task = await api.request<Task>("POST", `/campaigns/${cid}/tasks:next`, { annotator });
    if (task.status !== 200) throw new Error(`tasks:next gave ${task.status}`);
    tasks.push(task.body);
    await api.call("PUT", `/campaigns/${cid}/images/${task.body.image.id}/annotations/${annotator}`, {
      answer: "accept",
      boxes: byName.get(task.body.image.fileName)!.boxes,
      modelVersion: task.body.predictions?.modelVersion ?? null,
      durationMs: 1000,
    });
  }
  return tasks;
}
