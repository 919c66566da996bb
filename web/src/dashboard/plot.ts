// Line plots drawn by hand in SVG: axes with ticks, one polyline (and dots) per series, a legend.
import { s } from "../dom.ts";

export interface Series {
  name: string;
  color: string;
  points: [x: number, y: number][];
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Draw steps (precision–recall) rather than straight segments. */
  step?: boolean;
  xFormat?: (x: number) => string;
}

const W = 420;
const H = 260;
const M = { top: 28, right: 16, bottom: 42, left: 48 };

/** About five round ticks covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => (hi - lo) / st <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function extent(values: number[], fallback: [number, number]): [number, number] {
  if (values.length === 0) return fallback;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

export function linePlot(o: PlotOptions): SVGSVGElement {
  const all = o.series.flatMap((se) => se.points);
  const [x0, x1] =
    o.xDomain ??
    extent(
      all.map((p) => p[0]),
      [0, 1],
    );
  const [y0, y1] =
    o.yDomain ??
    extent(
      all.map((p) => p[1]),
      [0, 1],
    );
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const fmt = o.xFormat ?? ((x: number) => String(x));

  const svg = s("svg", { class: "plot", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": o.title });
  svg.append(s("text", { class: "plot-title", x: W / 2, y: 16, "text-anchor": "middle" }, o.title));
  for (const t of ticks(y0, y1)) {
    svg.append(
      s("line", { class: "grid", x1: M.left, x2: W - M.right, y1: py(t), y2: py(t) }),
      s("text", { class: "tick", x: M.left - 6, y: py(t) + 4, "text-anchor": "end" }, String(t)),
    );
  }
  for (const t of ticks(x0, x1)) {
    svg.append(
      s("line", { class: "grid", x1: px(t), x2: px(t), y1: M.top, y2: H - M.bottom }),
      s("text", { class: "tick", x: px(t), y: H - M.bottom + 16, "text-anchor": "middle" }, fmt(t)),
    );
  }
  svg.append(
    s("line", { class: "axis", x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }),
    s("line", { class: "axis", x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }),
    s("text", { class: "axis-label", x: (M.left + W - M.right) / 2, y: H - 6, "text-anchor": "middle" }, o.xLabel),
    s(
      "text",
      {
        class: "axis-label",
        x: 12,
        y: (M.top + H - M.bottom) / 2,
        "text-anchor": "middle",
        transform: `rotate(-90 12 ${(M.top + H - M.bottom) / 2})`,
      },
      o.yLabel,
    ),
  );
  o.series.forEach((se, i) => {
    const pts = [...se.points].sort((a, b) => a[0] - b[0]);
    const path = pts
      .map(([x, y], j) => {
        if (j === 0) return `M${px(x)},${py(y)}`;
        return o.step ? `H${px(x)}V${py(y)}` : `L${px(x)},${py(y)}`;
      })
      .join("");
    svg.append(s("path", { class: "series", d: path, stroke: se.color, fill: "none", "data-series": se.name }));
    if (!o.step) for (const [x, y] of pts) svg.append(s("circle", { cx: px(x), cy: py(y), r: 3, fill: se.color }));
    const ly = M.top + 4 + i * 14;
    svg.append(
      s("rect", { x: W - M.right - 90, y: ly - 8, width: 10, height: 10, fill: se.color }),
      s("text", { class: "legend", x: W - M.right - 76, y: ly + 1 }, se.name),
    );
  });
  if (all.length === 0) {
    svg.append(s("text", { class: "empty", x: W / 2, y: H / 2, "text-anchor": "middle" }, "no data yet"));
  }
  return svg;
}
