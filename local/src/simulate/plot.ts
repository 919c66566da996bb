// A learning-curve plot as a standalone SVG: annotated images on x, metrics in [0, 1] on y.
export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

export function lineChartSvg(title: string, xLabel: string, series: Series[], width = 640, height = 400): string {
  const pad = { left: 56, right: 140, top: 36, bottom: 48 };
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMax = Math.max(1, ...xs);
  const px = (x: number) => pad.left + (x / xMax) * (width - pad.left - pad.right);
  const py = (y: number) => height - pad.bottom - Math.max(0, Math.min(1, y)) * (height - pad.top - pad.bottom);
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 10; i += 2) {
    const y = py(i / 10);
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${pad.left - 8}" y="${y + 4}" text-anchor="end">${(i / 10).toFixed(1)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<text x="${px(x)}" y="${height - pad.bottom + 18}" text-anchor="middle">${x}</text>`);
  }
  parts.push(
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const path = s.points.map((p, j) => `${j === 0 ? "M" : "L"}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ");
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of s.points)
      parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = pad.top + 10 + i * 18;
    parts.push(
      `<line x1="${width - pad.right + 12}" x2="${width - pad.right + 32}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${width - pad.right + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
