// The keyboard, as Prodigy's: one table, used both to dispatch and to draw the help.
import type { Answer } from "../api.ts";
import { h } from "../dom.ts";

export type Action =
  | { kind: "answer"; answer: Answer }
  | { kind: "undo" }
  | { kind: "label"; index: number }
  | { kind: "flag" }
  | { kind: "help" }
  | { kind: "delete" }
  | { kind: "nudge"; dx: number; dy: number; resize: boolean }
  | { kind: "next-box"; step: number }
  | { kind: "deselect" }
  | { kind: "zoom"; factor: number };

export const keyHelp: [keys: string, what: string][] = [
  ["a", "accept: the boxes shown are right"],
  ["x", "reject: the image or the suggestions are wrong"],
  ["space", "ignore: skip this image"],
  ["backspace", "undo: reopen the previous answer (up to 10 back; or click one in the side list)"],
  ["1 – 9", "choose a label (relabels the selected box)"],
  ["f", "flag this image for review"],
  ["h or ?", "this help"],
  ["mouse drag", "draw a box; drag a box to move it, its handles to resize it"],
  ["tab / shift+tab", "select the next / previous box"],
  ["arrows (shift: ×10)", "nudge the selected box by 1 px"],
  ["alt+arrows", "resize the selected box"],
  ["delete or d", "delete the selected box"],
  ["esc", "deselect"],
  ["wheel, + / -, 0", "zoom at the cursor, zoom in / out, fit the image"],
  ["right or middle drag", "pan"],
];

const arrows: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

export function keyFor(e: KeyboardEvent): Action | null {
  if (e.ctrlKey || e.metaKey) return null;
  const arrow = arrows[e.key];
  if (arrow) {
    const step = e.shiftKey ? 10 : 1;
    return { kind: "nudge", dx: arrow[0] * step, dy: arrow[1] * step, resize: e.altKey };
  }
  if (/^[1-9]$/.test(e.key)) return { kind: "label", index: Number(e.key) - 1 };
  switch (e.key) {
    case "a":
      return { kind: "answer", answer: "accept" };
    case "x":
      return { kind: "answer", answer: "reject" };
    case " ":
      return { kind: "answer", answer: "ignore" };
    case "Backspace":
      return { kind: "undo" };
    case "f":
      return { kind: "flag" };
    case "h":
    case "?":
      return { kind: "help" };
    case "Delete":
    case "d":
      return { kind: "delete" };
    case "Tab":
      return { kind: "next-box", step: e.shiftKey ? -1 : 1 };
    case "Escape":
      return { kind: "deselect" };
    case "+":
    case "=":
      return { kind: "zoom", factor: 1.25 };
    case "-":
      return { kind: "zoom", factor: 0.8 };
    case "0":
      return { kind: "zoom", factor: 0 };
    default:
      return null;
  }
}

export function helpDialog(): HTMLDialogElement {
  const dialog = h(
    "dialog",
    { id: "help", class: "help" },
    h("h2", {}, "Keys"),
    h("table", {}, ...keyHelp.map(([k, what]) => h("tr", {}, h("td", {}, h("kbd", {}, k)), h("td", {}, what)))),
    h(
      "p",
      {},
      "Every answer is kept in this browser until the server has it; the counter at the top shows how many wait.",
    ),
    h("form", { method: "dialog" }, h("button", {}, "Close")),
  );
  return dialog;
}
