// A served model's suggestion on the annotation page (acceptance 2 of #6): the real model server
// (`startModelServer`) serves a SavedModel whose one detection is known; the API asks it through the
// real ModelClient. Moving the suggestion and accepting records it as "moved" with its IoU.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ModelClient } from "@boxloop/functions/model-client/model-client";
import { modelClientPredictor } from "@boxloop/functions/model-client/predictor";
import { type ModelServer, startModelServer } from "@boxloop/local/model-server/index";
import { latestOne } from "@boxloop/local/model-server/version-policy";
import { artifacts, type Browser, launch } from "./browser.ts";
import { writeFixedModel } from "./fixed-model.ts";
import { currentImage, drag, openAnnotate, storedAnnotation, waitAllSaved } from "./pages.ts";
import { type Stack, seedCampaign, startStack } from "./stack.ts";

let stack: Stack;
let browser: Browser;
let modelServer: ModelServer;

// [ymin, xmin, ymax, xmax], normalized
const detection = { box: [0.2, 0.25, 0.6, 0.75] as [number, number, number, number], score: 0.9, classId: 1 };

before(async () => {
  stack = await startStack();
  await writeFixedModel(join(stack.modelsDir, "sugg", "1"), [detection]);
  modelServer = await startModelServer({
    models: [{ name: "sugg", basePath: join(stack.modelsDir, "sugg"), policy: latestOne, labels: {} }],
    grpcPort: 0,
    restApiPort: 0,
    host: "127.0.0.1",
    fileSystemPollWaitSeconds: 0,
    log: () => {},
  });
  browser = await launch();
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  await modelServer?.close();
  await stack?.close();
});

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (ix * iy) / (a.width * a.height + b.width * b.height - ix * iy);
}
type Box = { x: number; y: number; width: number; height: number };

test("a served model's suggestion is shown; moved and accepted, it is recorded as moved with its IoU", async () => {
  const client = new ModelClient({ transport: "rest", address: `http://127.0.0.1:${modelServer.restPort}` });
  stack.setPredictor(modelClientPredictor(client));
  const campaign = await seedCampaign(stack, { id: "sugg", images: 2, threshold: 0.5 });
  const page = await openAnnotate(browser.context, stack, campaign);
  const image = await currentImage(page);
  await page.waitForSelector("g.box.suggested");
  assert.match((await page.locator("#model-version").textContent()) ?? "", /model v1\b/);
  assert.match((await page.locator("g.box.suggested text").textContent()) ?? "", /^raccoon 0\.90$/);

  await page.screenshot({ path: join(artifacts, "annotate-suggestion-shown.png") });
  const { width, height } = await page.evaluate(() => {
    const img = document.querySelector<HTMLImageElement>(".viewport img.image")!;
    return { width: img.naturalWidth, height: img.naturalHeight };
  });
  const shown: Box = { x: 0.25 * width, y: 0.2 * height, width: 0.5 * width, height: 0.4 * height };
  const rect = (await page.locator("g.box.suggested rect").first().boundingBox())!;
  const scale = rect.width / shown.width;
  const [dx, dy] = [40, 25]; // image pixels
  const from: [number, number] = [rect.x + rect.width / 2, rect.y + rect.height / 2];
  await drag(page, from, [from[0] + dx * scale, from[1] + dy * scale]);
  await page.screenshot({ path: join(artifacts, "annotate-suggestion-moved.png") });
  await page.keyboard.press("a");
  await currentImage(page, image);
  await waitAllSaved(page);

  const stored = await storedAnnotation(stack, campaign, image);
  assert.equal(stored.modelVersion, "1");
  assert.equal(stored.boxes.length, 1);
  const box = stored.boxes[0]!;
  assert.ok(Math.abs(box.x - (shown.x + dx)) <= 1 && Math.abs(box.y - (shown.y + dy)) <= 1, JSON.stringify(box));
  assert.equal(stored.fates?.length, 1);
  const fate = stored.fates![0]!;
  assert.equal(fate.fate, "moved");
  assert.ok(Math.abs(fate.iou! - iou(shown, box)) < 1e-3, `iou ${fate.iou} vs ${iou(shown, box)}`);
  assert.ok(fate.iou! > 0.5 && fate.iou! < 0.95);
  assert.match(
    (await page.locator("#stats").textContent()) ?? "",
    /1 answers · 0 suggestions accepted · 1 boxes corrected/,
  );
  await page.close();
});

test("the threshold slider hides and shows suggestions at once; relabelling one records it", async () => {
  const campaign = await seedCampaign(stack, { id: "slider", images: 2, threshold: 0.5, modelName: "sugg" });
  const page = await openAnnotate(browser.context, stack, campaign);
  const image = await currentImage(page);
  await page.waitForSelector("g.box.suggested");
  await page.locator("#threshold").fill("0.95");
  assert.equal(await page.locator("g.box").count(), 0, "0.90 < 0.95: hidden");
  await page.locator("#threshold").fill("0.6");
  assert.equal(await page.locator("g.box.suggested").count(), 1, "0.90 ≥ 0.60: shown again");
  await page.locator("g.box.suggested rect").first().click();
  await page.keyboard.press("2");
  await page.keyboard.press("a");
  await currentImage(page, image);
  await waitAllSaved(page);
  const stored = await storedAnnotation(stack, campaign, image);
  assert.equal(stored.boxes[0]?.label, "dog");
  assert.equal(stored.fates?.[0]?.fate, "relabelled");
  await page.close();
});
