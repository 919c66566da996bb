import assert from "node:assert/strict";
import { test } from "node:test";
import { keyFor } from "./keys.ts";

const key = (k: string, mods: Partial<Record<"shiftKey" | "altKey" | "ctrlKey" | "metaKey", boolean>> = {}) =>
  keyFor({ key: k, shiftKey: false, altKey: false, ctrlKey: false, metaKey: false, ...mods } as KeyboardEvent);

test("Prodigy's answer keys", () => {
  assert.deepEqual(key("a"), { kind: "answer", answer: "accept" });
  assert.deepEqual(key("x"), { kind: "answer", answer: "reject" });
  assert.deepEqual(key(" "), { kind: "answer", answer: "ignore" });
  assert.deepEqual(key("Backspace"), { kind: "undo" });
  assert.deepEqual(key("f"), { kind: "flag" });
  assert.deepEqual(key("?"), { kind: "help" });
});

test("number keys choose labels 1-9; 0 fits the image", () => {
  assert.deepEqual(key("1"), { kind: "label", index: 0 });
  assert.deepEqual(key("9"), { kind: "label", index: 8 });
  assert.deepEqual(key("0"), { kind: "zoom", factor: 0 });
});

test("arrows nudge by 1, with shift by 10, with alt resize; ctrl combinations are left to the browser", () => {
  assert.deepEqual(key("ArrowLeft"), { kind: "nudge", dx: -1, dy: 0, resize: false });
  assert.deepEqual(key("ArrowDown", { shiftKey: true }), { kind: "nudge", dx: 0, dy: 10, resize: false });
  assert.deepEqual(key("ArrowRight", { altKey: true }), { kind: "nudge", dx: 1, dy: 0, resize: true });
  assert.equal(key("a", { ctrlKey: true }), null);
  assert.equal(key("q"), null);
});
