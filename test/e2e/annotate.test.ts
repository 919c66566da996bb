// The annotation page in headless Chromium against the real API (acceptance 1, 3 and 4 of #6).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { artifacts, type Browser, launch } from "./browser.ts";
import {
  currentImage,
  drag,
  imageFrame,
  openAnnotate,
  storedAnnotation,
  toScreen,
  unsentCount,
  waitAllSaved,
} from "./pages.ts";
import { type Stack, seedCampaign, startStack } from "./stack.ts";

let stack: Stack;
let browser: Browser;

before(async () => {
  stack = await startStack();
  browser = await launch();
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

test("two boxes drawn with the mouse, labelled with number keys and accepted reach the API in pixels (±1 px)", async () => {
  const campaign = await seedCampaign(stack, { id: "draw", images: 3 });
  const page = await openAnnotate(browser.context, stack, campaign);
  const image = await currentImage(page);
  const frame = await imageFrame(page);
  const wanted = [
    { label: "dog", x: 40, y: 30, width: 150, height: 120 },
    { label: "raccoon", x: 210, y: 160, width: 90, height: 140 },
  ];
  for (const box of wanted) {
    await drag(page, toScreen(frame, box.x, box.y), toScreen(frame, box.x + box.width, box.y + box.height));
    await page.keyboard.press(box.label === "dog" ? "2" : "1");
  }
  await page.screenshot({ path: join(artifacts, "annotate.png") });
  await page.keyboard.press("a");
  await currentImage(page, image);
  await waitAllSaved(page);
  const stored = await storedAnnotation(stack, campaign, image);
  assert.equal(stored.answer, "accept");
  assert.equal(stored.boxes.length, 2);
  for (const [i, box] of wanted.entries()) {
    const got = stored.boxes[i]!;
    assert.equal(got.label, box.label);
    for (const k of ["x", "y", "width", "height"] as const) {
      assert.ok(Math.abs(got[k] - box[k]) <= 1, `box ${i} ${k}: got ${got[k]}, drew ${box[k]}`);
    }
  }
  await page.close();
});

test("answers given while the network is cut are kept, then each reaches the server exactly once", async () => {
  const campaign = await seedCampaign(stack, { id: "offline", images: 8 });
  // Four tasks held ahead, so five images can be answered with no network at all.
  const page = await openAnnotate(browser.context, stack, campaign, "&prefetch=4");
  await page.waitForSelector("body[data-ahead='4']");
  let image = await currentImage(page);
  const cut = (route: import("playwright-core").Route) => route.abort("internetdisconnected");
  await page.route(/\/api\//, cut);
  const offline = (r: { method: string; path: string }) => r.path.includes("/campaigns/offline/");
  const seenBefore = stack.requests.filter(offline).length;
  const answered: string[] = [];
  for (let i = 0; i < 5; i++) {
    const frame = await imageFrame(page);
    await drag(page, toScreen(frame, 20 + i, 20), toScreen(frame, 120 + i, 100));
    answered.push(image);
    await page.keyboard.press("a");
    if (i < 4) image = await currentImage(page, image);
  }
  await page.waitForFunction(() => document.querySelector("#unsent")?.textContent === "5 unsent");
  await page.waitForSelector("#message:has-text('Waiting for the network')");
  assert.equal(await unsentCount(page), 5);
  assert.equal(
    stack.requests.filter(offline).length,
    seenBefore,
    "nothing reached the server while the network was cut",
  );
  await page.screenshot({ path: join(artifacts, "annotate-offline.png") });
  const warns = await page.evaluate(() => {
    const e = new Event("beforeunload", { cancelable: true });
    dispatchEvent(e);
    return e.defaultPrevented;
  });
  assert.ok(warns, "closing the tab with unsent answers warns");
  // Still offline, go back to the fifth answer and change it: it replaces the unsent one.
  await page.keyboard.press("Backspace");
  await page.waitForSelector("#message:has-text('Revisiting your answer')");
  assert.equal(await currentImage(page), answered[4]);
  assert.ok(await page.locator(".viewport").isVisible());
  // Every count shown while the change is stored: it replaces an answer, so it never shows six.
  await page.evaluate(() => {
    const el = document.querySelector("#unsent")!;
    const seen: string[] = [];
    (window as unknown as { unsentSeen: string[] }).unsentSeen = seen;
    new MutationObserver(() => seen.push(el.textContent ?? "")).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await page.keyboard.press("x");
  await page.waitForSelector("#message:has-text('Waiting for the network')");
  await page.waitForFunction(() => document.querySelector("#unsent")?.getAttribute("data-writing") === "0");
  assert.equal(await unsentCount(page), 5);
  const shown = await page.evaluate(() => (window as unknown as { unsentSeen: string[] }).unsentSeen);
  assert.deepEqual(
    [...new Set(shown)].filter((text) => text !== "5 unsent"),
    [],
    "the count stayed at 5",
  );

  await page.unroute(/\/api\//, cut);
  await waitAllSaved(page, 30_000);
  await currentImage(page, answered[4]); // and the page goes on with a new image
  for (const iid of answered) {
    const puts = stack.requests.filter(
      (r) => r.method === "PUT" && r.path.includes(`/campaigns/offline/images/${iid}/annotations/`),
    );
    assert.equal(puts.length, 1, `image ${iid} reached the server ${puts.length} times`);
    const stored = await storedAnnotation(stack, campaign, iid);
    assert.equal(stored.answer, iid === answered[4] ? "reject" : "accept");
    assert.equal(stored.boxes.length, 1);
  }
  assert.equal(new Set(answered).size, 5);
  await page.close();
});

test("undoing the last answer and changing it leaves the new answer on the server", async () => {
  const campaign = await seedCampaign(stack, { id: "undo", images: 4 });
  const page = await openAnnotate(browser.context, stack, campaign);
  const first = await currentImage(page);
  const frame = await imageFrame(page);
  await drag(page, toScreen(frame, 30, 30), toScreen(frame, 130, 110));
  await page.keyboard.press("a");
  const second = await currentImage(page, first);
  await waitAllSaved(page);
  assert.equal((await storedAnnotation(stack, campaign, first)).answer, "accept");

  await page.keyboard.press("Backspace");
  assert.equal(await currentImage(page, second), first);
  assert.equal(await page.locator(".box").count(), 1, "the earlier boxes come back for editing");
  await page.screenshot({ path: join(artifacts, "annotate-undo.png") });
  await page.locator(".box").first().click();
  await page.keyboard.press("Delete");
  await page.keyboard.press("x");
  assert.equal(await currentImage(page, first), second, "after the change, back to where we were");
  await waitAllSaved(page);
  const changed = await storedAnnotation(stack, campaign, first);
  assert.equal(changed.answer, "reject");
  assert.deepEqual(changed.boxes, []);
  await page.close();
});

test("answers not yet acknowledged survive closing the tab and are sent by the next page", async () => {
  const campaign = await seedCampaign(stack, { id: "reopen", images: 4 });
  const page = await openAnnotate(browser.context, stack, campaign);
  await page.route(/\/annotations\//, (route) => route.abort("internetdisconnected"));
  const first = await currentImage(page);
  await page.keyboard.press("x");
  const second = await currentImage(page, first);
  await page.keyboard.press("x");
  await page.waitForFunction(() => {
    const unsent = document.querySelector<HTMLElement>("#unsent");
    return unsent?.textContent === "2 unsent" && unsent.dataset.writing === "0";
  });
  await page.close();
  const puts = () => stack.requests.filter((r) => r.method === "PUT" && r.path.includes("/campaigns/reopen/"));
  assert.equal(puts().length, 0);

  const next = await openAnnotate(browser.context, stack, campaign);
  await waitAllSaved(next);
  for (const iid of [first, second]) assert.equal((await storedAnnotation(stack, campaign, iid)).answer, "reject");
  assert.equal(puts().length, 2, `PUTs that reached the server: ${JSON.stringify(puts())}`);
  await next.close();
});

test("an answer the server refuses (its lease expired while offline) stays visible until discarded", async () => {
  const campaign = await seedCampaign(stack, { id: "expired", images: 3, leaseSeconds: 5 });
  const page = await openAnnotate(browser.context, stack, campaign);
  const cut = (route: import("playwright-core").Route) => route.abort("internetdisconnected");
  await page.route(/\/annotations\//, cut);
  const image = await currentImage(page);
  await page.keyboard.press("a");
  await currentImage(page, image);
  await page.waitForTimeout(5500);
  await page.unroute(/\/annotations\//, cut);
  await page.waitForSelector("#discard", { timeout: 15_000 });
  assert.match((await page.locator("#message").textContent()) ?? "", /lease.*expired/);
  assert.equal(await unsentCount(page), 1, "still counted: not silently dropped");
  await page.locator("#discard").click();
  await waitAllSaved(page);
  assert.equal(await page.locator("#discard").count(), 0);
  await page.close();
});
