// Time from pressing `a` to the next image drawn with its suggestions, in headless Chromium against
// the local stack (real API, real model server with a one-box SavedModel): median over 50 images,
// with prefetch (the page's default) and, as the baseline in the same run, without (`?prefetch=0`).
// Goal: median < 100 ms with prefetch. `npm run bench -- annotate [--images 50] [--think-ms 300]`
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ModelClient } from "@boxloop/functions/model-client/model-client";
import { modelClientPredictor } from "@boxloop/functions/model-client/predictor";
import { startModelServer } from "@boxloop/local/model-server/index";
import { latestOne } from "@boxloop/local/model-server/version-policy";
import { launch } from "../test/e2e/browser.ts";
import { writeFixedModel } from "../test/e2e/fixed-model.ts";
import { currentImage, openAnnotate } from "../test/e2e/pages.ts";
import { seedCampaign, startStack } from "../test/e2e/stack.ts";

const { values } = parseArgs({
  options: { images: { type: "string", default: "50" }, "think-ms": { type: "string", default: "300" } },
});
const images = Number(values.images);
const thinkMs = Number(values["think-ms"]);

const stack = await startStack();
const modelName = "bench";
await writeFixedModel(join(stack.modelsDir, modelName, "1"), [
  { box: [0.2, 0.25, 0.6, 0.75], score: 0.9, classId: 1 },
  { box: [0.05, 0.05, 0.3, 0.3], score: 0.7, classId: 1 },
]);
const modelServer = await startModelServer({
  models: [{ name: modelName, basePath: join(stack.modelsDir, modelName), policy: latestOne, labels: {} }],
  grpcPort: 0,
  restApiPort: 0,
  host: "127.0.0.1",
  fileSystemPollWaitSeconds: 0,
  log: () => {},
});
stack.setPredictor(
  modelClientPredictor(new ModelClient({ transport: "rest", address: `http://127.0.0.1:${modelServer.restPort}` })),
);
const browser = await launch();

/** Answers `images` images, pausing `thinkMs` on each as an annotator would; returns ms per switch. */
async function run(prefetch: boolean): Promise<number[]> {
  const id = prefetch ? "bench-prefetch" : "bench-baseline";
  const campaign = await seedCampaign(stack, { id, images: images + 2, modelName });
  const page = await openAnnotate(browser.context, stack, campaign, prefetch ? "" : "&prefetch=0");
  await page.evaluate(() => {
    const w = window as unknown as { drawn: number[] };
    w.drawn = [];
    document.addEventListener("boxloop:drawn", (e) => w.drawn.push((e as CustomEvent<{ ms: number }>).detail.ms));
  });
  let image = await currentImage(page);
  for (let i = 0; i < images; i++) {
    await page.waitForSelector("g.box.suggested");
    await page.waitForTimeout(thinkMs);
    await page.keyboard.press("a");
    image = await currentImage(page, image);
    await page.waitForFunction((n) => (window as unknown as { drawn: number[] }).drawn.length >= n, i + 1);
  }
  const times = await page.evaluate(() => (window as unknown as { drawn: number[] }).drawn);
  await page.close();
  return times;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

try {
  const withPrefetch = await run(true);
  const baseline = await run(false);
  const line = (name: string, xs: number[]) =>
    `${name.padEnd(22)} median ${median(xs).toFixed(1).padStart(6)} ms   p90 ${quantile(xs, 0.9).toFixed(1).padStart(6)} ms   max ${Math.max(
      ...xs,
    )
      .toFixed(1)
      .padStart(6)} ms   (n=${xs.length})`;
  console.log(`annotate: press "a" → next image drawn with its suggestions (Chromium, ${thinkMs} ms think time)`);
  console.log(line("with prefetch", withPrefetch));
  console.log(line("without (baseline)", baseline));
  console.log(`ratio prefetch / baseline (median): ${(median(withPrefetch) / median(baseline)).toFixed(3)}`);
  console.log(`goal median < 100 ms with prefetch: ${median(withPrefetch) < 100 ? "met" : "NOT met"}`);
} finally {
  await browser.close();
  await modelServer.close();
  await stack.close();
}
