// Our COCO metrics against pycocotools' COCOeval on the same ground truth and detections: the
// twelve summary numbers, per class, and the precision-recall curve at IoU 0.5, within 1e-6.
// Cases: synthetic edge cases, raccoon's test ground truth with synthetic detections, and the
// detections of a model trained here for a few steps.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { importFromPath } from "@boxloop/functions/formats/index";
import { defaultConfig } from "@boxloop/training-image/config";
import { imagesFromAnnotations } from "@boxloop/training-image/dataset";
import { accumulateCoco, cocoMetricNames, evaluate, summarizeCoco } from "@boxloop/training-image/eval/index";
import type { Detection, EvalInput, GroundTruthBox } from "@boxloop/training-image/eval/types";
import { evaluateModel } from "@boxloop/training-image/evaluation";
import { FeaturePool, featureWorkers } from "@boxloop/training-image/feature-pool";
import { headPredictor } from "@boxloop/training-image/predict";
import { pretrainedFor, train } from "@boxloop/training-image/trainer";
import { referee } from "../support/referee.ts";
import { random, syntheticDetections } from "../support/synthetic-detections.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");

// Reads cases from stdin; prints, per case, COCOeval's stats, per-class stats from its arrays, and
// precision[0, :, k, 0, 2] (IoU .5, all areas, 100 detections).
const script = `
import contextlib, io, json, sys
import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

def summarize(E, k=None):
    p, r = E.eval["precision"], E.eval["recall"]
    if k is not None:
        p, r = p[:, :, k:k + 1], r[:, k:k + 1]
    def m(s):
        s = s[s > -1]
        return -1.0 if s.size == 0 else float(np.mean(s))
    t50, t75 = 0, 5
    return [m(p[:, :, :, 0, 2]), m(p[[t50], :, :, 0, 2]), m(p[[t75], :, :, 0, 2]), m(p[:, :, :, 1, 2]),
            m(p[:, :, :, 2, 2]), m(p[:, :, :, 3, 2]), m(r[:, :, 0, 0]), m(r[:, :, 0, 1]), m(r[:, :, 0, 2]),
            m(r[:, :, 1, 2]), m(r[:, :, 2, 2]), m(r[:, :, 3, 2])]

out = []
for case in json.load(sys.stdin):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = case["gt"]
        gt.createIndex()
        if case["dt"]:
            dt = gt.loadRes(case["dt"])
        else:  # loadRes cannot take an empty list
            dt = COCO()
            dt.dataset = {"images": case["gt"]["images"], "categories": case["gt"]["categories"], "annotations": []}
            dt.createIndex()
        E = COCOeval(gt, dt, "bbox")
        E.evaluate()
        E.accumulate()
        E.summarize()
    K = len(E.params.catIds)
    out.append({
        "stats": [float(s) for s in E.stats],
        "check": summarize(E),
        "perClass": [summarize(E, k) for k in range(K)],
        "curves": [[float(v) for v in E.eval["precision"][0, :, k, 0, 2]] for k in range(K)],
    })
print(json.dumps(out))
`;

/** Our input as COCO JSON for pycocotools: ids from 1, bbox [x, y, xmax - x, ymax - y], as we compute them. */
function toCoco(input: EvalInput) {
  const images = input.images.map((_, i) => ({ id: i + 1, file_name: `${i + 1}.jpg`, width: 1000, height: 1000 }));
  const categories = input.categories.map((name, k) => ({ id: k + 1, name }));
  const categoryId = (label: string) => input.categories.indexOf(label) + 1;
  const annotations: object[] = [];
  const dt: object[] = [];
  input.images.forEach((image, i) => {
    for (const g of image.groundTruth) {
      const w = g.xmax - g.xmin;
      const h = g.ymax - g.ymin;
      annotations.push({
        id: annotations.length + 1,
        image_id: i + 1,
        category_id: categoryId(g.label),
        bbox: [g.xmin, g.ymin, w, h],
        area: g.area ?? w * h,
        iscrowd: g.iscrowd ? 1 : 0,
      });
    }
    for (const d of image.detections)
      dt.push({
        image_id: i + 1,
        category_id: categoryId(d.label),
        bbox: [d.xmin, d.ymin, d.xmax - d.xmin, d.ymax - d.ymin],
        score: d.score,
      });
  });
  return { gt: { images, categories, annotations }, dt };
}

function assertClose(ours: number[], theirs: number[], what: string) {
  assert.equal(ours.length, theirs.length, `${what}: lengths`);
  for (const [i, v] of ours.entries())
    assert.ok(Math.abs(v - theirs[i]!) <= 1e-6, `${what}[${i}]: ours ${v}, pycocotools ${theirs[i]}`);
}

interface RefereeResult {
  stats: number[];
  check: number[];
  perClass: number[][];
  curves: number[][];
}

function compare(cases: { name: string; input: EvalInput }[]) {
  const results = JSON.parse(
    referee().run(script, [], JSON.stringify(cases.map((c) => toCoco(c.input)))),
  ) as RefereeResult[];
  for (const [i, { name, input }] of cases.entries()) {
    const theirs = results[i]!;
    // our per-class summary code mirrors summarize(); check it reproduces COCOeval's own stats first
    assertClose(theirs.check, theirs.stats, `${name}: referee's summarize`);
    const ours = evaluate(input);
    assertClose(
      cocoMetricNames.map((m) => ours.coco[m]),
      theirs.stats,
      `${name}: ${cocoMetricNames.join(",")}`,
    );
    input.categories.forEach((c, k) => {
      assertClose(
        cocoMetricNames.map((m) => ours.cocoPerClass[c]![m]),
        theirs.perClass[k]!,
        `${name}: class ${c}`,
      );
      assertClose(ours.prCurvePerClass[c]!.precision, theirs.curves[k]!, `${name}: PR curve of ${c}`);
    });
  }
  return results;
}

async function raccoonTest(): Promise<EvalInput & { sizes: { width: number; height: number }[] }> {
  const { dataset } = await importFromPath(join(raccoon, "data", "test_labels.csv"));
  return {
    categories: dataset.categories,
    sizes: dataset.images.map(({ width, height }) => ({ width, height })),
    images: dataset.images.map((image) => ({
      id: image.fileName,
      groundTruth: image.boxes.map(({ label, xmin, ymin, xmax, ymax }) => ({ label, xmin, ymin, xmax, ymax })),
      detections: [],
    })),
  };
}

test("raccoon test ground truth with synthetic detections: equal to pycocotools", async () => {
  const base = await raccoonTest();
  assert.equal(base.images.length, 40);
  const cases = [1, 2, 3].map((seed) => {
    const rand = random(seed);
    return {
      name: `raccoon seed ${seed}`,
      input: {
        categories: base.categories,
        images: base.images.map((image, i) => ({
          ...image,
          detections: syntheticDetections(
            rand,
            { ...base.sizes[i]!, groundTruth: image.groundTruth },
            { jitter: 0.05 * seed },
          ),
        })),
      },
    };
  });
  const results = compare(cases);
  // not a degenerate check: the synthetic detections give middling, distinct scores
  for (const r of results) assert.ok(r.stats[0]! > 0.1 && r.stats[0]! < 0.95, `AP ${r.stats[0]}`);
  assert.notEqual(results[0]!.stats[0], results[2]!.stats[0]);
});

test("a trained model's detections on raccoon's 40 test images: equal to pycocotools", async () => {
  const base = await raccoonTest();
  const labels = ["raccoon"];
  const dir = await mkdtemp(join(tmpdir(), "boxloop-coco-trained-"));
  const pool = await FeaturePool.start(await pretrainedFor(defaultConfig(1).imageSize), await featureWorkers(40));
  try {
    const { dataset: trainSet } = await importFromPath(join(raccoon, "data", "train_labels.csv"));
    const { dataset: testSet } = await importFromPath(join(raccoon, "data", "test_labels.csv"));
    const images = join(raccoon, "images");
    const config = { ...defaultConfig(1), numSteps: 3, maxViewsPerImage: 1 };
    const trained = await train({
      images: await imagesFromAnnotations(trainSet.images.slice(0, 10), images, labels),
      labels,
      config,
      modelDir: join(dir, "model"),
      pool,
    });
    const detections = base.images.map((): Detection[] => []);
    await evaluateModel(
      headPredictor(trained.pretrained, trained.head, { resize: config.resize, flip: config.flipAverage, pool }),
      await imagesFromAnnotations(testSet.images, images, labels),
      labels,
      {
        concurrency: pool.size,
        keep: ({ image, pixelDetections }, i) => {
          assert.deepEqual([image.width, image.height], [base.sizes[i]!.width, base.sizes[i]!.height]);
          detections[i] = pixelDetections;
        },
      },
    );
    assert.ok(detections.flat().length > 40, "the model detects something on most images");
    const [result] = compare([
      {
        name: "trained on 10 raccoon images",
        input: {
          categories: base.categories,
          images: base.images.map((image, i) => ({ ...image, detections: detections[i]! })),
        },
      },
    ]);
    assert.ok(result!.stats[1]! > 0.5, `AP50 ${result!.stats[1]}: a model that finds raccoons`);
  } finally {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("edge cases: equal to pycocotools", () => {
  const box = (label: string, x: number, y: number, w: number, h: number, extra: Partial<GroundTruthBox> = {}) => ({
    label,
    xmin: x,
    ymin: y,
    xmax: x + w,
    ymax: y + h,
    ...extra,
  });
  const det = (label: string, score: number, x: number, y: number, w: number, h: number): Detection => ({
    ...box(label, x, y, w, h),
    score,
  });
  const rand = random(42);

  // 20 classes, 30 images, random boxes of every size, some crowd regions, over 100 detections on some images
  const many: EvalInput = { categories: Array.from({ length: 20 }, (_, k) => `c${k}`), images: [] };
  for (let i = 0; i < 30; i++) {
    const groundTruth: GroundTruthBox[] = [];
    for (let n = Math.floor(rand() * 12); n > 0; n--) {
      const s = [8, 20, 50, 120, 400][Math.floor(rand() * 5)]! * (0.5 + rand());
      groundTruth.push(
        box(`c${Math.floor(rand() * 19)}`, rand() * 500, rand() * 500, s, s * (0.5 + rand()), {
          iscrowd: rand() < 0.08,
        }),
      );
    }
    const extra = i % 7 === 0 ? 110 : 6;
    many.images.push({
      groundTruth,
      detections: syntheticDetections(
        rand,
        { width: 1000, height: 1000, groundTruth },
        {
          falsePositives: extra,
          labels: many.categories,
          duplicates: 0.3,
        },
      ),
    });
  }

  const cases: { name: string; input: EvalInput }[] = [
    {
      name: "no detections",
      input: { categories: ["a", "b"], images: [{ groundTruth: [box("a", 10, 10, 50, 50)], detections: [] }] },
    },
    {
      name: "a class with no ground truth, only false positives",
      input: {
        categories: ["a", "ghost"],
        images: [
          {
            groundTruth: [box("a", 10, 10, 50, 50), box("a", 100, 100, 40, 60)],
            detections: [
              det("a", 0.9, 12, 11, 50, 48),
              det("ghost", 0.95, 100, 100, 40, 60),
              det("a", 0.3, 300, 300, 20, 20),
            ],
          },
          { groundTruth: [], detections: [det("ghost", 0.5, 0, 0, 30, 30)] },
        ],
      },
    },
    {
      name: "duplicate detections, equal scores",
      input: {
        categories: ["a"],
        images: [
          {
            groundTruth: [box("a", 10, 10, 100, 100), box("a", 200, 200, 50, 50)],
            detections: [
              det("a", 0.8, 10, 10, 100, 100),
              det("a", 0.8, 10, 10, 100, 100),
              det("a", 0.8, 12, 10, 100, 100),
              det("a", 0.6, 200, 200, 50, 50),
              det("a", 0.6, 201, 199, 50, 50),
            ],
          },
        ],
      },
    },
    {
      name: "tiny, medium and huge boxes across the area ranges",
      input: {
        categories: ["a", "b"],
        images: [
          {
            groundTruth: [
              box("a", 5, 5, 4, 3),
              box("a", 50, 50, 31, 33),
              box("b", 100, 100, 60, 70),
              box("b", 0, 0, 900, 800),
            ],
            detections: [
              det("a", 0.9, 5, 5, 4, 4),
              det("a", 0.7, 50, 50, 32, 32),
              det("b", 0.8, 102, 98, 58, 70),
              det("b", 0.6, 10, 10, 880, 790),
              det("b", 0.5, 300, 300, 2, 2),
              det("a", 0.4, 400, 400, 200, 200),
            ],
          },
        ],
      },
    },
    {
      name: "a crowd region matched by several detections",
      input: {
        categories: ["a"],
        images: [
          {
            groundTruth: [box("a", 0, 0, 300, 300, { iscrowd: true }), box("a", 400, 400, 50, 50)],
            detections: [
              det("a", 0.9, 10, 10, 100, 100),
              det("a", 0.85, 120, 120, 100, 100),
              det("a", 0.7, 402, 401, 50, 50),
              det("a", 0.2, 600, 600, 50, 50),
            ],
          },
        ],
      },
    },
    {
      name: "a detection overlapping a counted box and, more, a crowd region",
      input: {
        categories: ["a"],
        images: [
          {
            groundTruth: [box("a", 0, 0, 100, 100), box("a", 0, 0, 120, 100, { iscrowd: true })],
            detections: [det("a", 0.9, 10, 0, 100, 100)],
          },
        ],
      },
    },
    { name: "many categories, random boxes and crowds, over 100 detections", input: many },
  ];
  compare(cases);
});

test("accumulate and summarize agree with evaluate", () => {
  const input: EvalInput = {
    categories: ["a"],
    images: [{ groundTruth: [{ label: "a", xmin: 0, ymin: 0, xmax: 10, ymax: 10 }], detections: [] }],
  };
  assert.deepEqual(summarizeCoco(accumulateCoco(input)), evaluate(input).coco);
});
