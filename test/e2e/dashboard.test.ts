// The campaign dashboard in headless Chromium against the real API (acceptance 5 of #6): a campaign
// with three model versions renders its plots; promote / roll back and start training work.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { artifacts, type Browser, launch } from "./browser.ts";
import { writeFixedModel } from "./fixed-model.ts";
import { currentImage, drag, imageFrame, openAnnotate, toScreen, waitAllSaved } from "./pages.ts";
import { type Stack, seedCampaign, startStack } from "./stack.ts";

let stack: Stack;
let browser: Browser;

before(async () => {
  stack = await startStack();
  browser = await launch({ width: 1400, height: 1000 });
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

const versions = [
  { version: "1", trainImages: 20, AP50: 0.61, AP: 0.3 },
  { version: "2", trainImages: 40, AP50: 0.78, AP: 0.41 },
  { version: "3", trainImages: 80, AP50: 0.86, AP: 0.47 },
];

test("the dashboard renders progress, three model versions with their plots, and runs", async () => {
  const campaign = await seedCampaign(stack, { id: "dash", images: 6 });
  for (const v of versions) {
    const dir = join(stack.modelsDir, "dash", v.version);
    await writeFixedModel(dir, [{ box: [0.1, 0.1, 0.5, 0.5], score: 0.9, classId: 1 }], {
      "boxloop.json": JSON.stringify({
        createdAt: new Date(Date.UTC(2026, 10, 1 + Number(v.version))).toISOString(),
        runId: `run-${v.version}`,
        metrics: { AP50: v.AP50, AP: v.AP, AP75: v.AP / 2 },
        annotatedImages: v.trainImages,
        // A made-up curve whose precision falls as recall rises, ending at the version's recall.
        prCurve: Array.from({ length: 11 }, (_, i) => ({
          recall: (i / 10) * (0.7 + Number(v.version) / 10),
          precision: 1 - (i / 10) ** 2 * 0.5,
        })),
      }),
    });
  }
  // Two runs as the workflow records them: one published v3, one failed in Train.
  const at = (s: number) => new Date(Date.UTC(2026, 10, 4, 12, 0, s)).toISOString();
  const run = (id: string, fields: object) =>
    stack.store.put(
      `campaigns/dash/runs/${id}/run.json`,
      JSON.stringify({ id, campaignId: "dash", trigger: { kind: "answers", answers: 80 }, ...fields }),
    );
  await run("auto-80", {
    status: "succeeded",
    createdAt: at(0),
    updatedAt: at(50),
    modelVersion: "3",
    steps: {
      Snapshot: { startedAt: at(0), endedAt: at(2) },
      Train: { startedAt: at(2), endedAt: at(44) },
      Evaluate: { startedAt: at(44), endedAt: at(48) },
    },
  });
  await run("auto-100", {
    status: "failed",
    createdAt: at(60),
    updatedAt: at(65),
    error: "trainer exited with code 1",
    steps: { Snapshot: { startedAt: at(60), endedAt: at(61) }, Train: { startedAt: at(61), endedAt: at(65) } },
  });
  // Two answers, so progress has something to show.
  const annotate = await openAnnotate(browser.context, stack, campaign);
  let image = await currentImage(annotate);
  for (let i = 0; i < 2; i++) {
    const frame = await imageFrame(annotate);
    await drag(annotate, toScreen(frame, 10, 10), toScreen(frame, 90, 90));
    await annotate.keyboard.press("a");
    image = await currentImage(annotate, image);
  }
  await waitAllSaved(annotate);
  await annotate.close();

  // A fresh browser: no token stored, so the page asks for one; the admin pastes it.
  const admin = await launch({ width: 1400, height: 1000 });
  const page = await admin.context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`${stack.url}/#/dashboard/${campaign.id}`);
  await page.locator("#token").fill(stack.adminToken);
  await page.locator("form.login button[type=submit]").click();
  await page.waitForSelector("body[data-ready=dashboard]");

  const card = async (name: string) =>
    (await page.locator(".card", { hasText: name }).locator(".value").first().textContent())?.trim();
  assert.equal(await card("images"), "6");
  assert.equal(await card("answered"), "2");
  assert.match((await page.locator("section", { hasText: "Annotators" }).textContent()) ?? "", /ann1\s*2/);

  const plots = page.locator("#plots svg.plot");
  assert.equal(await plots.count(), 4);
  const perHour = await plots
    .nth(2)
    .locator("circle")
    .evaluateAll((cs) => cs.map((c) => Number(c.getAttribute("cy"))));
  assert.equal(perHour.length, 24);
  assert.ok(perHour.at(-1)! < perHour[0]!, "this hour's two answers stand above the empty hours");
  const learning = plots.nth(0);
  assert.ok((await plots.nth(1).locator("path[data-series=v3]").getAttribute("d"))!.split("V").length === 11);
  assert.equal(await learning.locator("circle").count(), 6, "AP50 and AP at each of the three versions");
  assert.equal(await learning.locator("path[data-series=AP50]").count(), 1);
  assert.deepEqual(await page.locator("#models tbody tr td:first-child").allTextContents(), [
    "v3 (serving)",
    "v2",
    "v1",
  ]);
  const runRows = await page.locator("#runs tbody tr").allTextContents();
  assert.equal(runRows.length, 2);
  assert.match(runRows[1]!, /auto-80.*succeeded.*50\.0 s.*Snapshot 2\.0 s · Train 42\.0 s · Evaluate 4\.0 s.*v3/);
  assert.match(runRows[0]!, /auto-100.*failed.*Train 4\.0 s.*trainer exited with code 1/);
  await page.screenshot({ path: join(artifacts, "dashboard.png"), fullPage: true });

  // Roll back to v1 (republished as v4, so TF Serving's latest policy serves it), then train.
  await page.locator('button[data-promote="1"]').click();
  await page.waitForFunction(() => document.querySelector("#models tbody tr td")?.textContent === "v4 (serving) = v1");
  const serving = await stack.api<{ models: { version: string; serving: boolean; promotedFrom?: number }[] }>(
    "GET",
    "/campaigns/dash/models",
  );
  assert.deepEqual(
    serving.models.filter((m) => m.serving).map((m) => [m.version, m.promotedFrom]),
    [["4", 1]],
  );
  assert.equal(await page.locator("#plots svg.plot").nth(0).locator("circle").count(), 6, "the copy is not plotted");

  await page.locator("#start-training").click();
  await page.waitForFunction(() => document.querySelectorAll("#runs tbody tr").length === 3);
  assert.match((await page.locator("#runs tbody tr").first().textContent()) ?? "", /manual.*queued/);
  assert.deepEqual(
    stack.started.map((s) => s.trigger?.kind),
    ["manual"],
  );

  // Settings round-trip.
  await page.locator("#settings input[name=threshold]").fill("0.35");
  await page.locator("#settings input[name=labels]").fill("raccoon, dog, cat");
  await page.locator("#settings button[type=submit]").click();
  await page.waitForFunction(() => document.querySelector("#dashboard-status")?.textContent === "Save settings: done");
  const saved = await stack.api<{ threshold: number; labels: string[] }>("GET", "/campaigns/dash");
  assert.equal(saved.threshold, 0.35);
  assert.deepEqual(saved.labels, ["raccoon", "dog", "cat"]);

  // Export: the button downloads the campaign's COCO JSON with the two answered images' boxes.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator('button[data-format="coco"]').click(),
  ]);
  const coco = JSON.parse(await readFile((await download.path())!, "utf8")) as { annotations: unknown[] };
  assert.equal(coco.annotations.length, 2);
  await page.close();
  await admin.close();
});
