// `boxloop simulate`: the product's own benchmark (see ../simulate/simulate.ts).
import { mkdtempSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError, type Command, parseOptions, positiveInt, required } from "../command.ts";
import { lineChartSvg } from "../simulate/plot.ts";
import { simulate } from "../simulate/simulate.ts";
import { startLocalStack } from "../stack.ts";

const help = `usage: boxloop simulate --annotations PATH --images DIR --eval-annotations PATH [--batch 10] [--until N]

An oracle annotator answers tasks from the gold labels through the real API; the loop retrains
every --batch answers; after each published version the served model is scored (COCO) on the
eval annotations. Prints the learning curve and writes it as JSON and SVG.

  --annotations PATH       gold labels of the images to annotate (coco, voc, csv, yolo, tfrecord)
  --images DIR             the image files
  --eval-annotations PATH  gold labels of the held-out images scored after each retrain
  --batch N                answers between retrains (default 10)
  --until N                stop after N answers (default: every image)
  --at a,b,c               retrain at exactly these answer counts instead (e.g. 10,20,40,80,160)
  --num-steps N            training steps per run (default: the trainer's)
  --data-dir DIR           keep the run's data here (default: a new temporary folder)
  --out DIR                where learning-curve.json and .svg go (default: <data-dir>/simulate)
  --json                   print the curve as JSON`;

export const command: Command = {
  help,
  async run(argv) {
    const { values } = parseOptions(argv, {
      annotations: { type: "string" },
      images: { type: "string" },
      "eval-annotations": { type: "string" },
      batch: { type: "string" },
      until: { type: "string" },
      at: { type: "string" },
      "num-steps": { type: "string" },
      "data-dir": { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
    });
    const at = values.at?.split(",").map((s) => Number(s.trim()));
    if (at && !at.every((n, i) => Number.isInteger(n) && n > 0 && (i === 0 || n > at[i - 1]!))) {
      throw new CliError("--at must be increasing positive integers, e.g. 10,20,40");
    }
    const dataDir = values["data-dir"] ?? mkdtempSync(join(tmpdir(), "boxloop-simulate-"));
    const log = (line: string) => console.error(line);
    const stack = await startLocalStack({
      dataDir,
      port: 0,
      grpcPort: 0,
      restPort: 0,
      schedulerTickMs: 3_600_000,
      log: () => {},
    });
    try {
      const curve = await simulate(stack, {
        annotations: required(values, "annotations"),
        images: required(values, "images"),
        evalAnnotations: required(values, "eval-annotations"),
        batch: positiveInt(values, "batch", 10),
        until: positiveInt(values, "until", Number.MAX_SAFE_INTEGER),
        ...(at ? { at } : {}),
        ...(values["num-steps"] ? { numSteps: positiveInt(values, "num-steps") } : {}),
        log,
      });
      const out = values.out ?? join(dataDir, "simulate");
      await mkdir(out, { recursive: true });
      await writeFile(join(out, "learning-curve.json"), `${JSON.stringify(curve, null, 2)}\n`);
      const svg = lineChartSvg("boxloop learning curve (served model, held-out images)", "annotated images", [
        { name: "AP50", color: "#1f77b4", points: curve.map((p) => ({ x: p.annotated, y: p.AP50 })) },
        { name: "AP", color: "#ff7f0e", points: curve.map((p) => ({ x: p.annotated, y: p.AP })) },
      ]);
      await writeFile(join(out, "learning-curve.svg"), svg);
      if (values.json) console.log(JSON.stringify(curve));
      else {
        console.log("annotated  version  AP50   AP     retrain s  answer→served s");
        for (const p of curve) {
          console.log(
            `${String(p.annotated).padStart(9)}  ${p.modelVersion.padStart(7)}  ${p.AP50.toFixed(3)}  ${p.AP.toFixed(3)}  ${p.retrainSeconds.toFixed(1).padStart(9)}  ${p.annotationToServedSeconds.toFixed(1).padStart(15)}`,
          );
        }
        console.log(`written: ${join(out, "learning-curve.json")}, ${join(out, "learning-curve.svg")}`);
      }
      return curve.length > 0 ? 0 : 1;
    } finally {
      await stack.stop();
    }
  },
};
