// Progress for people (a bar on stderr, redrawn in place on a terminal) or for machines (--json:
// one JSON object per line on stdout).
export interface ProgressEvent {
  phase: "features" | "train" | "eval" | "export";
  done: number;
  total: number;
  step?: number;
  loss?: number;
  heatmapLoss?: number;
  boxLoss?: number;
  learningRate?: number;
  imagesPerSecond?: number;
  etaSeconds?: number;
}

export type ProgressSink = (e: ProgressEvent) => void;

export function jsonProgress(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): ProgressSink {
  return (e) => write(JSON.stringify({ type: "progress", ...e }));
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.round(s)}s`;
}

export function barProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  let last = 0;
  return (e) => {
    const now = Date.now();
    const finished = e.done >= e.total;
    if (!finished && now - last < 200) return;
    last = now;
    const width = 24;
    const filled = Math.round((width * e.done) / Math.max(1, e.total));
    const parts = [`${e.phase.padEnd(8)} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${e.done}/${e.total}`];
    if (e.step !== undefined) parts.push(`step ${e.step}`);
    if (e.loss !== undefined) parts.push(`loss ${e.loss.toFixed(3)}`);
    if (e.imagesPerSecond !== undefined) parts.push(`${e.imagesPerSecond.toFixed(1)} img/s`);
    if (e.etaSeconds !== undefined && !finished) parts.push(`ETA ${formatSeconds(e.etaSeconds)}`);
    const line = parts.join("  ");
    if (stream.isTTY) stream.write(`\r${line}\x1b[K${finished ? "\n" : ""}`);
    else if (finished || e.done % Math.max(1, Math.floor(e.total / 10)) === 0) stream.write(`${line}\n`);
  };
}
