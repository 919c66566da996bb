// Editing gestures on the annotation page: resize with a handle, nudge and grow with the keyboard,
// draw while zoomed in, delete; the answer the API stores matches, in image pixels.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Browser, launch } from "./browser.ts";
import { currentImage, drag, imageFrame, openAnnotate, storedAnnotation, toScreen, waitAllSaved } from "./pages.ts";
import { type Stack, seedCampaign, startStack } from "./stack.ts";

let stack: Stack;
let browser: Browser;

before(async () => {
  stack = await startStack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

test("handles, keyboard nudges, zoom and delete edit boxes in image pixels", async () => {
  const campaign = await seedCampaign(stack, { id: "edit", images: 2 });
  const page = await openAnnotate(browser.context, stack, campaign);
  const image = await currentImage(page);
  let frame = await imageFrame(page);

  // Box A: drawn, then its south-east handle dragged 30 px right and 20 px down.
  await drag(page, toScreen(frame, 50, 40), toScreen(frame, 150, 120));
  const handle = (await page.locator(".handle-se").boundingBox())!;
  const from: [number, number] = [handle.x + handle.width / 2, handle.y + handle.height / 2];
  await drag(page, from, [from[0] + 30 * frame.scale, from[1] + 20 * frame.scale]);
  // Then nudged: 10 px right (shift), 1 px down, and grown 1 px wider (alt).
  await page.keyboard.press("Shift+ArrowRight");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Alt+ArrowRight");

  // Box B: drawn and deleted.
  await drag(page, toScreen(frame, 200, 200), toScreen(frame, 260, 260));
  await page.keyboard.press("Delete");

  // Box C: drawn while zoomed in with the wheel at the cursor.
  const fitted = frame.scale;
  await page.keyboard.press("+");
  await page.keyboard.press("+");
  assert.ok(Math.abs((await imageFrame(page)).scale / fitted - 1.5625) < 1e-6, "+ zooms in by 1.25");
  await page.keyboard.press("0");
  assert.ok(Math.abs((await imageFrame(page)).scale - fitted) < 1e-9, "0 fits the image again");
  await page.mouse.move(...toScreen(await imageFrame(page), 300, 200));
  await page.mouse.wheel(0, -500);
  await page.waitForTimeout(50);
  frame = await imageFrame(page);
  await drag(page, toScreen(frame, 300, 200), toScreen(frame, 340, 230));

  // A right-button drag pans the view and leaves the boxes alone.
  const before = await imageFrame(page);
  await page.mouse.move(500, 400);
  await page.mouse.down({ button: "right" });
  await page.mouse.move(440, 370, { steps: 3 });
  await page.mouse.up({ button: "right" });
  const panned = await imageFrame(page);
  assert.ok(Math.abs(panned.x - before.x + 60) < 0.5 && Math.abs(panned.y - before.y + 30) < 0.5, "panned by the drag");
  assert.equal(await page.locator("g.box").count(), 2);

  await page.keyboard.press("a");
  await currentImage(page, image);
  await waitAllSaved(page);
  const stored = await storedAnnotation(stack, campaign, image);
  const round = stored.boxes.map((b) => [b.x, b.y, b.width, b.height].map((v) => Math.round(v)));
  const want = [
    [60, 41, 131, 100],
    [300, 200, 40, 30],
  ];
  assert.equal(round.length, 2, JSON.stringify(stored.boxes));
  for (const [i, w] of want.entries())
    for (let k = 0; k < 4; k++)
      assert.ok(Math.abs(round[i]![k]! - w[k]!) <= 1, `${JSON.stringify(round)} vs ${JSON.stringify(want)}`);
  await page.close();
});

test("h shows the keys; while it is open the answer keys do nothing", async () => {
  const campaign = await seedCampaign(stack, { id: "help", images: 2 });
  const page = await openAnnotate(browser.context, stack, campaign);
  const image = await currentImage(page);
  await page.keyboard.press("h");
  const help = page.locator("dialog#help");
  assert.ok(await help.isVisible());
  assert.match((await help.textContent()) ?? "", /backspace.*undo/);
  await page.keyboard.press("a");
  await page.waitForTimeout(300);
  assert.equal(await currentImage(page), image, "not answered under the help");
  assert.equal(stack.requests.filter((r) => r.method === "PUT" && r.path.includes("/campaigns/help/")).length, 0);
  await page.keyboard.press("h");
  assert.ok(!(await help.isVisible()));
  await page.keyboard.press("?");
  assert.ok(await help.isVisible());
  await page.keyboard.press("Escape");
  assert.ok(!(await help.isVisible()));
  await page.close();
});
