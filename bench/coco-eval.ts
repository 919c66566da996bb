// How long our COCO evaluation takes on 40 images × 100 detections (raccoon's test set with
// synthetic detections), next to pycocotools' COCOeval on the same input, timed in the same run.
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { importFromPath } from "@boxloop/functions/formats/index";
import { evaluate } from "@boxloop/training-image/eval/index";
import type { EvalInput } from "@boxloop/training-image/eval/types";
import { referee } from "../test/support/referee.ts";
import { random, syntheticDetections } from "../test/support/synthetic-detections.ts";

const raccoon = join(import.meta.dirname, "..", "..", "shared", "datasets", "raccoon");
const { dataset } = await importFromPath(join(raccoon, "data", "test_labels.csv"));
const rand = random(7);
const input: EvalInput = {
  categories: dataset.categories,
  images: dataset.images.map((image) => {
    const groundTruth = image.boxes.map(({ label, xmin, ymin, xmax, ymax }) => ({ label, xmin, ymin, xmax, ymax }));
    const detections = syntheticDetections(rand, { ...image, groundTruth }, { falsePositives: 0 });
    while (detections.length < 100)
      detections.push(
        ...syntheticDetections(rand, { ...image, groundTruth }, { falsePositives: 10, recall: 0.5, jitter: 0.4 }),
      );
    return { id: image.fileName, groundTruth, detections: detections.slice(0, 100) };
  }),
};
const detections = input.images.reduce((n, i) => n + i.detections.length, 0);

const runs = 30;
for (let i = 0; i < 3; i++) evaluate(input);
const times: number[] = [];
let result = evaluate(input);
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  result = evaluate(input);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(runs / 2)]!;
console.log(`coco-eval: ${input.images.length} images × 100 detections (${detections} detections)`);
console.log(
  `  boxloop evaluate() (COCO + VOC + PR curve): median ${median.toFixed(2)} ms, min ${times[0]!.toFixed(2)} ms over ${runs} runs`,
);
console.log(
  `  AP ${result.coco.AP.toFixed(4)}  AP50 ${result.coco.AP50.toFixed(4)}  VOC AP50 ${result.vocAP50.toFixed(4)}`,
);

const script = `
import contextlib, io, json, sys, time
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
data = json.load(sys.stdin)
times = []
for _ in range(5):
    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        gt = COCO(); gt.dataset = data["gt"]; gt.createIndex()
        dt = gt.loadRes(data["dt"])
        E = COCOeval(gt, dt, "bbox"); E.evaluate(); E.accumulate(); E.summarize()
        times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({"median": times[len(times) // 2], "min": times[0], "AP": E.stats[0]}))
`;
let baseline: { median: number; min: number; AP: number } | undefined;
try {
  const categoryId = (label: string) => input.categories.indexOf(label) + 1;
  const gt = {
    images: input.images.map((_, i) => ({ id: i + 1 })),
    categories: input.categories.map((name, k) => ({ id: k + 1, name })),
    annotations: input.images.flatMap((image, i) =>
      image.groundTruth.map((g) => ({
        image_id: i + 1,
        category_id: categoryId(g.label),
        bbox: [g.xmin, g.ymin, g.xmax - g.xmin, g.ymax - g.ymin],
        area: (g.xmax - g.xmin) * (g.ymax - g.ymin),
        iscrowd: 0,
      })),
    ),
  };
  for (const [i, a] of gt.annotations.entries()) Object.assign(a, { id: i + 1 });
  const dt = input.images.flatMap((image, i) =>
    image.detections.map((d) => ({
      image_id: i + 1,
      category_id: categoryId(d.label),
      bbox: [d.xmin, d.ymin, d.xmax - d.xmin, d.ymax - d.ymin],
      score: d.score,
    })),
  );
  baseline = JSON.parse(referee().run(script, [], JSON.stringify({ gt, dt })));
} catch (error) {
  console.log(`  baseline pycocotools: unavailable (${(error as Error).message.split("\n")[0]})`);
}
if (baseline) {
  console.log(
    `  baseline pycocotools COCOeval (load + evaluate + accumulate + summarize): median ${baseline.median.toFixed(2)} ms, min ${baseline.min.toFixed(2)} ms, AP ${baseline.AP.toFixed(4)}`,
  );
  console.log(
    `  ratio boxloop / pycocotools: ${(median / baseline.median).toFixed(3)} (medians), ${(times[0]! / baseline.min).toFixed(3)} (minimums)`,
  );
  console.log(
    `  load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} on ${availableParallelism()} cores`,
  );
}
