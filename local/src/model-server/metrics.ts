// Prometheus text metrics, named as TF Serving exports them (its /tensorflow/serving/... metrics
// with '/' turned into ':'): request count, request latency histogram, and loaded versions.
const latencyBucketsMicros = [
  10, 18, 32.4, 58.3, 105, 189, 340, 612, 1102, 1984, 3570, 6427, 11568, 20823, 37481, 67466, 121439, 218591, 393464,
  708235, 1274823, 2294682, 4130428, 7434771,
];

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

interface Histogram {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  private readonly requests = new Map<string, { labels: Record<string, string>; value: number }>();
  private readonly latency = new Map<string, Histogram>();
  /** Returns the loaded (AVAILABLE) versions of each model when the page is made. */
  loadedVersions: () => Record<string, number[]> = () => ({});

  /** Records one request: `api` is e.g. "predict", `entrypoint` "REST" or "GRPC". */
  observe(model: string, api: string, entrypoint: string, ok: boolean, micros: number): void {
    const countLabels = { model_name: model, status: ok ? "OK" : "ERROR" };
    const countKey = JSON.stringify(countLabels);
    const counter = this.requests.get(countKey) ?? { labels: countLabels, value: 0 };
    counter.value++;
    this.requests.set(countKey, counter);

    const latLabels = { model_name: model, API: api, entrypoint };
    const latKey = JSON.stringify(latLabels);
    let h = this.latency.get(latKey);
    if (!h) {
      h = { labels: latLabels, counts: latencyBucketsMicros.map(() => 0), sum: 0, count: 0 };
      this.latency.set(latKey, h);
    }
    latencyBucketsMicros.forEach((bound, i) => {
      if (micros <= bound) h.counts[i]!++;
    });
    h.sum += micros;
    h.count++;
  }

  page(): string {
    const lines: string[] = [];
    lines.push("# TYPE :tensorflow:serving:request_count counter");
    for (const c of this.requests.values())
      lines.push(`:tensorflow:serving:request_count${labelText(c.labels)} ${c.value}`);
    lines.push("# TYPE :tensorflow:serving:request_latency histogram");
    for (const h of this.latency.values()) {
      latencyBucketsMicros.forEach((bound, i) => {
        lines.push(
          `:tensorflow:serving:request_latency_bucket${labelText({ ...h.labels, le: String(bound) })} ${h.counts[i]}`,
        );
      });
      lines.push(`:tensorflow:serving:request_latency_bucket${labelText({ ...h.labels, le: "+Inf" })} ${h.count}`);
      lines.push(`:tensorflow:serving:request_latency_sum${labelText(h.labels)} ${h.sum}`);
      lines.push(`:tensorflow:serving:request_latency_count${labelText(h.labels)} ${h.count}`);
    }
    lines.push("# TYPE :tensorflow:serving:loaded_versions gauge");
    for (const [model, versions] of Object.entries(this.loadedVersions())) {
      lines.push(`:tensorflow:serving:loaded_versions${labelText({ model_name: model })} ${versions.length}`);
      for (const v of versions) {
        lines.push(
          `:tensorflow:serving:model_version_available${labelText({ model_name: model, version: String(v) })} 1`,
        );
      }
    }
    return `${lines.join("\n")}\n`;
  }
}
