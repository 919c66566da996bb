// The product's learning curve on raccoon: an oracle annotates data/train_labels.csv's 160 images
// through the real API; the loop retrains at 10, 20, 40, 80 and 160 answers; the served model is
// scored on data/test_labels.csv's 40 images. `npm run bench -- simulate [--at 10,20] [--num-steps N]`.
import { join } from "node:path";
import { main } from "@boxloop/local/cli";

const raccoon = join(import.meta.dirname, "..", "..", "shared", "datasets", "raccoon");
const extra = process.argv.slice(2);
const args = [
  "simulate",
  "--annotations",
  join(raccoon, "data", "train_labels.csv"),
  "--images",
  join(raccoon, "images"),
  "--eval-annotations",
  join(raccoon, "data", "test_labels.csv"),
  ...(extra.includes("--at") ? [] : ["--at", "10,20,40,80,160"]),
  ...extra,
];
console.log(`boxloop ${args.join(" ")}`);
const started = Date.now();
process.exitCode = await main(args);
console.log(`total wall time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
