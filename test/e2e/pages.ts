// Driving the annotation page from a test: open it, map image pixels to the screen, draw, wait.
import type { BrowserContext, Page } from "playwright-core";
import type { Campaign, Stack } from "./stack.ts";

export async function openAnnotate(
  context: BrowserContext,
  stack: Stack,
  campaign: Campaign,
  query = "",
): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(
    `${stack.url}/?token=${campaign.annotatorToken}&annotator=${campaign.annotator}${query}#/annotate/${campaign.id}`,
  );
  await page.waitForSelector("body[data-ready=annotate]");
  return page;
}

/** The shown image's id (waits until it differs from `previous`). */
export async function currentImage(page: Page, previous?: string): Promise<string> {
  const handle = await page.waitForFunction((prev) => {
    const id = document.querySelector<HTMLElement>(".viewport")?.dataset.imageId;
    return id && id !== prev ? id : null;
  }, previous);
  return (await handle.jsonValue()) as string;
}

/** Where image pixel (0,0) is on the screen, and screen pixels per image pixel. */
export async function imageFrame(page: Page): Promise<{ x: number; y: number; scale: number }> {
  return page.evaluate(() => {
    const img = document.querySelector<HTMLImageElement>(".viewport img.image")!;
    const r = img.getBoundingClientRect();
    return { x: r.left, y: r.top, scale: r.width / img.naturalWidth };
  });
}

/** Drags from one screen point to another, as a person would. */
export async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.mouse.move(from[0], from[1]);
  await page.mouse.down();
  await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 4 });
  await page.mouse.move(to[0], to[1], { steps: 4 });
  await page.mouse.up();
}

/** Screen point of an image pixel. */
export function toScreen(frame: { x: number; y: number; scale: number }, x: number, y: number): [number, number] {
  return [frame.x + x * frame.scale, frame.y + y * frame.scale];
}

export async function unsentCount(page: Page): Promise<number> {
  const text = (await page.locator("#unsent").textContent()) ?? "";
  return text === "all saved" ? 0 : Number.parseInt(text, 10);
}

export async function waitAllSaved(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(() => document.querySelector("#unsent")?.textContent === "all saved", undefined, {
    timeout,
  });
}

export interface StoredAnnotation {
  answer: string;
  boxes: { label: string; x: number; y: number; width: number; height: number }[];
  modelVersion: string | null;
  fates: { fate: string; predicted?: number; box?: number; iou?: number }[] | null;
}

export function storedAnnotation(stack: Stack, campaign: Campaign, image: string): Promise<StoredAnnotation> {
  return stack.api("GET", `/campaigns/${campaign.id}/images/${image}/annotations/${campaign.annotator}`);
}
