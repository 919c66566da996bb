// The image with its boxes: draw with the mouse, select, move and resize with handles, nudge with
// the keyboard, zoom with the wheel and pan with the middle or right button. Coordinates are kept in
// image pixels; the stage (image + SVG) is scaled and translated with one CSS transform.
import { s } from "../dom.ts";
import { type Box, boxFromCorners, clampBox, roundBox, type Suggestion } from "../geometry.ts";

export interface EditBox extends Box {
  id: number;
  /** Index of the suggestion this box came from, or null when drawn by hand. */
  from: number | null;
  score: number | null;
  /** Set once the annotator moved, resized or relabelled it. */
  touched: boolean;
}

type Handle = "nw" | "n" | "ne" | "e" | "se" | "s" | "sw" | "w";
const handles: Handle[] = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

type Drag =
  | { kind: "draw"; x0: number; y0: number; x1: number; y1: number }
  | { kind: "move"; id: number; x0: number; y0: number; start: Box }
  | { kind: "resize"; id: number; handle: Handle; start: Box }
  | { kind: "pan"; cx: number; cy: number; tx: number; ty: number };

const palette = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4"];

export function labelColor(labels: readonly string[], label: string): string {
  const i = labels.indexOf(label);
  return palette[(i < 0 ? labels.length : i) % palette.length]!;
}

export class Editor {
  readonly el: HTMLDivElement;
  private readonly stage: HTMLDivElement;
  private readonly svg: SVGSVGElement;
  private img: HTMLImageElement | null = null;
  private width = 1;
  private height = 1;
  private scale = 1;
  private tx = 0;
  private ty = 0;
  private drag: Drag | null = null;
  private nextId = 1;
  suggestions: Suggestion[] = [];
  boxes: EditBox[] = [];
  selected: number | null = null;
  threshold = 0.5;
  currentLabel: string;

  constructor(
    readonly labels: readonly string[],
    private readonly onChange: () => void,
  ) {
    this.currentLabel = labels[0] ?? "object";
    this.el = document.createElement("div");
    this.el.className = "viewport";
    this.stage = document.createElement("div");
    this.stage.className = "stage";
    this.svg = s("svg", { class: "overlay" });
    this.stage.append(this.svg);
    this.el.append(this.stage);
    this.el.addEventListener("pointerdown", (e) => this.down(e));
    this.el.addEventListener("pointermove", (e) => this.move(e));
    this.el.addEventListener("pointerup", (e) => this.up(e));
    this.el.addEventListener("pointercancel", () => {
      this.drag = null;
      this.render();
    });
    this.el.addEventListener("contextmenu", (e) => e.preventDefault());
    this.el.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    new ResizeObserver(() => this.fit()).observe(this.el);
  }

  /** Shows a decoded image with its suggestions, or with boxes answered before. */
  load(img: HTMLImageElement, width: number, height: number, suggestions: Suggestion[], boxes?: EditBox[]): void {
    this.img?.remove();
    this.img = img;
    img.className = "image";
    img.draggable = false;
    this.stage.prepend(img);
    this.width = width;
    this.height = height;
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this.svg.setAttribute("width", String(width));
    this.svg.setAttribute("height", String(height));
    this.suggestions = suggestions;
    this.boxes = boxes
      ? boxes.map((b) => ({ ...b }))
      : suggestions.map((p, i) => ({ ...p, id: 0, from: i, score: p.score, touched: false }));
    for (const b of this.boxes) b.id = this.nextId++;
    this.selected = null;
    this.fit();
  }

  /** A box is on screen if drawn by hand, touched, or a suggestion at or above the threshold. */
  isVisible(b: EditBox): boolean {
    return b.from === null || b.touched || (b.score ?? 1) >= this.threshold;
  }

  visibleBoxes(): EditBox[] {
    return this.boxes.filter((b) => this.isVisible(b));
  }

  /** Indexes of the suggestions the annotator was shown. */
  shownSuggestions(): number[] {
    return this.suggestions
      .map((p, i) => ({ p, i }))
      .filter(({ p, i }) => p.score >= this.threshold || this.boxes.some((b) => b.from === i && b.touched))
      .map(({ i }) => i);
  }

  setThreshold(t: number): void {
    this.threshold = t;
    if (this.selected !== null && !this.isVisible(this.byId(this.selected)!)) this.selected = null;
    this.render();
  }

  /** With a box selected, relabels it; the label also becomes the one for new boxes. */
  setLabel(label: string): void {
    this.currentLabel = label;
    const b = this.selected === null ? undefined : this.byId(this.selected);
    if (b && b.label !== label) {
      b.label = label;
      b.touched = true;
    }
    this.render();
  }

  select(id: number | null): void {
    this.selected = id;
    const b = id === null ? undefined : this.byId(id);
    if (b) this.currentLabel = b.label;
    this.render();
  }

  selectNext(step: number): void {
    const visible = this.visibleBoxes();
    if (visible.length === 0) return;
    const at = visible.findIndex((b) => b.id === this.selected);
    const next = visible[(at + step + visible.length) % visible.length]!;
    this.select(next.id);
  }

  deleteSelected(): boolean {
    if (this.selected === null) return false;
    this.boxes = this.boxes.filter((b) => b.id !== this.selected);
    this.selected = null;
    this.render();
    return true;
  }

  /** Moves (or with `resize`, grows) the selected box by whole pixels. */
  nudge(dx: number, dy: number, resize: boolean): boolean {
    const b = this.selected === null ? undefined : this.byId(this.selected);
    if (!b) return false;
    const next = resize
      ? { ...b, width: b.width + dx, height: b.height + dy }
      : {
          ...b,
          x: Math.min(Math.max(0, b.x + dx), this.width - b.width),
          y: Math.min(Math.max(0, b.y + dy), this.height - b.height),
        };
    Object.assign(b, clampBox(next, this.width, this.height), { touched: true });
    this.render();
    return true;
  }

  zoomBy(factor: number, cx = this.el.clientWidth / 2, cy = this.el.clientHeight / 2): void {
    const scale = Math.min(40, Math.max(0.05, this.scale * factor));
    this.tx = cx - ((cx - this.tx) * scale) / this.scale;
    this.ty = cy - ((cy - this.ty) * scale) / this.scale;
    this.scale = scale;
    this.place();
  }

  /** Fits the whole image in the viewport, centred. */
  fit(): void {
    const vw = this.el.clientWidth || 1;
    const vh = this.el.clientHeight || 1;
    this.scale = Math.min(vw / this.width, vh / this.height);
    this.tx = (vw - this.width * this.scale) / 2;
    this.ty = (vh - this.height * this.scale) / 2;
    this.place();
  }

  /** Image pixel under a viewport point. */
  private toImage(e: { clientX: number; clientY: number }): { x: number; y: number } {
    const r = this.el.getBoundingClientRect();
    const x = (e.clientX - r.left - this.tx) / this.scale;
    const y = (e.clientY - r.top - this.ty) / this.scale;
    return { x: Math.min(Math.max(0, x), this.width), y: Math.min(Math.max(0, y), this.height) };
  }

  private byId(id: number): EditBox | undefined {
    return this.boxes.find((b) => b.id === id);
  }

  private down(e: PointerEvent): void {
    this.el.setPointerCapture(e.pointerId);
    if (e.button === 1 || e.button === 2) {
      this.drag = { kind: "pan", cx: e.clientX, cy: e.clientY, tx: this.tx, ty: this.ty };
      return;
    }
    if (e.button !== 0) return;
    const target = e.target as Element;
    const p = this.toImage(e);
    const handle = target.getAttribute("data-handle") as Handle | null;
    const boxId = Number(target.closest("[data-box]")?.getAttribute("data-box") ?? Number.NaN);
    if (handle && this.selected !== null) {
      this.drag = { kind: "resize", id: this.selected, handle, start: { ...this.byId(this.selected)! } };
    } else if (!Number.isNaN(boxId)) {
      this.select(boxId);
      this.drag = { kind: "move", id: boxId, x0: p.x, y0: p.y, start: { ...this.byId(boxId)! } };
    } else {
      this.selected = null;
      this.drag = { kind: "draw", x0: p.x, y0: p.y, x1: p.x, y1: p.y };
    }
    this.render();
  }

  private move(e: PointerEvent): void {
    const d = this.drag;
    if (!d) return;
    if (d.kind === "pan") {
      this.tx = d.tx + e.clientX - d.cx;
      this.ty = d.ty + e.clientY - d.cy;
      this.place();
      return;
    }
    const p = this.toImage(e);
    if (d.kind === "draw") {
      d.x1 = p.x;
      d.y1 = p.y;
    } else if (d.kind === "move") {
      const b = this.byId(d.id)!;
      b.x = Math.min(Math.max(0, d.start.x + p.x - d.x0), this.width - b.width);
      b.y = Math.min(Math.max(0, d.start.y + p.y - d.y0), this.height - b.height);
      b.touched = b.touched || b.x !== d.start.x || b.y !== d.start.y;
    } else {
      const b = this.byId(d.id)!;
      let { x, y } = d.start;
      let x1 = x + d.start.width;
      let y1 = y + d.start.height;
      if (d.handle.includes("w")) x = p.x;
      if (d.handle.includes("e")) x1 = p.x;
      if (d.handle.includes("n")) y = p.y;
      if (d.handle.includes("s")) y1 = p.y;
      Object.assign(b, boxFromCorners(b.label, x, y, x1, y1), { touched: true });
    }
    this.render();
  }

  private up(e: PointerEvent): void {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.kind === "draw") {
      const box = boxFromCorners(this.currentLabel, d.x0, d.y0, d.x1, d.y1);
      // A click (under 3 screen pixels) deselects rather than drawing a speck.
      if (box.width * this.scale >= 3 && box.height * this.scale >= 3) {
        const b: EditBox = { ...roundBox(box), id: this.nextId++, from: null, score: null, touched: true };
        this.boxes.push(b);
        this.selected = b.id;
      }
    } else if (d.kind === "move" || d.kind === "resize") {
      const b = this.byId(d.id)!;
      Object.assign(b, roundBox(clampBox(b, this.width, this.height)));
    }
    if (e.pointerId !== undefined && this.el.hasPointerCapture(e.pointerId)) this.el.releasePointerCapture(e.pointerId);
    this.render();
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    const r = this.el.getBoundingClientRect();
    this.zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }

  private place(): void {
    this.stage.style.transform = `translate(${this.tx}px, ${this.ty}px) scale(${this.scale})`;
    this.render();
  }

  render(): void {
    const k = 1 / this.scale;
    const nodes: SVGElement[] = [];
    for (const b of this.visibleBoxes()) {
      const color = labelColor(this.labels, b.label);
      const suggested = b.from !== null && !b.touched;
      const selected = b.id === this.selected;
      const caption = b.score !== null && !b.touched ? `${b.label} ${b.score.toFixed(2)}` : b.label;
      nodes.push(
        s(
          "g",
          { "data-box": b.id, class: `box${suggested ? " suggested" : ""}${selected ? " selected" : ""}` },
          s("rect", {
            x: b.x,
            y: b.y,
            width: b.width,
            height: b.height,
            stroke: color,
            fill: selected ? `${color}33` : `${color}11`,
            "stroke-width": (selected ? 3 : 2) * k,
            "stroke-dasharray": suggested ? `${6 * k} ${4 * k}` : null,
          }),
          s("rect", {
            class: "caption-bg",
            x: b.x,
            y: Math.max(0, b.y - 16 * k),
            width: (caption.length * 7 + 8) * k,
            height: 16 * k,
            fill: color,
          }),
          s("text", { x: b.x + 4 * k, y: Math.max(0, b.y - 16 * k) + 12 * k, "font-size": 12 * k }, caption),
        ),
      );
      if (selected) {
        for (const hd of handles) {
          const hx = b.x + (hd.includes("w") ? 0 : hd.includes("e") ? b.width : b.width / 2);
          const hy = b.y + (hd.includes("n") ? 0 : hd.includes("s") ? b.height : b.height / 2);
          nodes.push(
            s("rect", {
              class: `handle handle-${hd}`,
              "data-handle": hd,
              x: hx - 5 * k,
              y: hy - 5 * k,
              width: 10 * k,
              height: 10 * k,
            }),
          );
        }
      }
    }
    const d = this.drag;
    if (d?.kind === "draw") {
      const b = boxFromCorners(this.currentLabel, d.x0, d.y0, d.x1, d.y1);
      nodes.push(
        s("rect", {
          class: "drawing",
          x: b.x,
          y: b.y,
          width: b.width,
          height: b.height,
          stroke: labelColor(this.labels, this.currentLabel),
          "stroke-width": 2 * k,
        }),
      );
    }
    this.svg.replaceChildren(...nodes);
    this.onChange();
  }
}
