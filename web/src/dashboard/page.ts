// The campaign dashboard (admin): progress, model versions and their plots, training runs with
// start / promote / roll back, settings, and exports.
import {
  type Api,
  ApiError,
  type Campaign,
  exportFormats,
  type ModelVersion,
  type Progress,
  type Strategy,
  type TrainingRun,
} from "../api.ts";
import { h } from "../dom.ts";
import { linePlot } from "./plot.ts";

const fmt = (v: unknown, digits = 3) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–");
const time = (t: string | null | undefined) => (t ? new Date(t).toLocaleString() : "–");

function duration(a: string, b: string | null): string {
  const ms = (b ? Date.parse(b) : Date.now()) - Date.parse(a);
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

export async function dashboardPage(root: HTMLElement, api: Api, cid: string): Promise<void> {
  const status = h("div", { class: "message", role: "status", id: "dashboard-status", hidden: true });
  const say = (text: string) => {
    status.textContent = text;
    status.hidden = text === "";
  };
  const act = async (what: string, fn: () => Promise<unknown>) => {
    say(`${what}…`);
    try {
      await fn();
      say(`${what}: done`);
      await refresh();
    } catch (e) {
      say(`${what} failed: ${e instanceof ApiError ? `${e.message}${e.field ? ` (${e.field})` : ""}` : e}`);
    }
  };

  async function refresh(): Promise<void> {
    const [campaign, models, runs] = await Promise.all([api.campaign(cid), api.models(cid), api.runs(cid)]);
    render(campaign, models, runs);
  }

  function render(c: Campaign, models: ModelVersion[], runs: TrainingRun[]): void {
    const p = c.progress;
    const serving = models.find((m) => m.serving) ?? null;
    const byVersion = [...models].sort((a, b) => Number(a.version) - Number(b.version));
    // A promoted (rolled back) version is a copy of an older one: plot the original once.
    const trained = byVersion.filter((m) => m.promotedFrom === undefined);
    const original = (m: ModelVersion | null) =>
      m?.promotedFrom === undefined ? m : (models.find((o) => Number(o.version) === m.promotedFrom) ?? m);
    const servedModel = original(serving);
    root.replaceChildren(
      h(
        "div",
        { class: "dashboard" },
        h(
          "header",
          { class: "bar" },
          h("strong", {}, c.name),
          h(
            "span",
            {},
            serving
              ? `serving model v${serving.version}${serving.promotedFrom === undefined ? "" : ` (= v${serving.promotedFrom})`}`
              : "no model serving",
          ),
          h("a", { href: `#/annotate/${encodeURIComponent(cid)}` }, "Annotate →"),
        ),
        status,
        h(
          "section",
          { id: "progress", class: "cards" },
          ...(
            [
              ["images", p?.images.total],
              ["answered", p?.images.annotated],
              ["rejected", p?.images.rejected],
              ["leased", p?.images.leased],
              ["skipped", p?.images.skipped],
              ["remaining", p?.images.remaining],
              ["answers in the last hour", p?.answers.lastHour],
            ] as const
          ).map(([name, v]) =>
            h(
              "div",
              { class: "card" },
              h("div", { class: "value" }, typeof v === "number" ? fmt(v, Number.isInteger(v) ? 0 : 1) : "–"),
              h("div", {}, name),
            ),
          ),
        ),
        h(
          "section",
          {},
          h("h2", {}, "Annotators"),
          table(
            ["annotator", "answers"],
            Object.entries(p?.answers.perAnnotator ?? {}).map(([who, n]) => [who, String(n)]),
          ),
        ),
        h(
          "section",
          { id: "plots", class: "plots" },
          linePlot({
            title: "Learning curve",
            xLabel: "annotated images",
            yLabel: "COCO metric",
            yDomain: [0, 1],
            series: [
              {
                name: "AP50",
                color: "#4363d8",
                points: trained.flatMap((m) => pt(trainImages(m), m.metrics.AP50)),
              },
              { name: "AP", color: "#e6194b", points: trained.flatMap((m) => pt(trainImages(m), m.metrics.AP)) },
            ],
          }),
          linePlot({
            title: `Precision–recall${servedModel ? ` (v${servedModel.version}, IoU 0.5)` : ""}`,
            xLabel: "recall",
            yLabel: "precision",
            xDomain: [0, 1],
            yDomain: [0, 1],
            step: true,
            series: [
              {
                name: servedModel ? `v${servedModel.version}` : "none",
                color: "#3cb44b",
                points: (servedModel?.prCurve ?? []).map((q) => [q.recall, q.precision]),
              },
            ],
          }),
          linePlot({
            title: "Answers per hour",
            xLabel: "hours ago",
            yLabel: "answers",
            xDomain: [-23, 0],
            xFormat: (x) => (x === 0 ? "now" : String(x)),
            series: [
              {
                name: "answers",
                color: "#911eb4",
                points: (p?.answers.perHour ?? []).map((n, i, all) => [i - (all.length - 1), n]),
              },
            ],
            yDomain: [0, Math.max(1, ...(p?.answers.perHour ?? []))],
          }),
          linePlot({
            title: "Suggestion acceptance rate",
            xLabel: "hours ago",
            yLabel: "accepted unchanged / shown",
            xDomain: [-23, 0],
            yDomain: [0, 1],
            xFormat: (x) => (x === 0 ? "now" : String(x)),
            series: [{ name: "accepted", color: "#f58231", points: acceptance(p) }],
          }),
        ),
        h(
          "section",
          { id: "models" },
          h("h2", {}, "Model versions"),
          table(
            ["version", "created", "trained on (images)", "AP50", "AP", "AP75", ""],
            [...byVersion].reverse().map((m) => [
              `v${m.version}${m.serving ? " (serving)" : ""}${m.promotedFrom === undefined ? "" : ` = v${m.promotedFrom}`}`,
              time(m.createdAt),
              fmt(trainImages(m), 0),
              fmt(m.metrics.AP50),
              fmt(m.metrics.AP),
              fmt(m.metrics.AP75),
              m.serving
                ? ""
                : h(
                    "button",
                    {
                      type: "button",
                      "data-promote": m.version,
                      onclick: () => act(`Promote v${m.version}`, () => api.promote(cid, m.version)),
                    },
                    servedModel && Number(m.version) < Number(servedModel.version) ? "Roll back to this" : "Promote",
                  ),
            ]),
          ),
        ),
        h(
          "section",
          { id: "runs" },
          h("h2", {}, "Training runs"),
          h(
            "button",
            {
              type: "button",
              id: "start-training",
              onclick: () => act("Start training", () => api.startTraining(cid)),
            },
            "Start training",
          ),
          table(
            ["run", "trigger", "state", "started", "took", "steps", "model", "error"],
            runs.map((r) => {
              const done = r.status !== "queued" && r.status !== "running";
              return [
                r.id,
                r.trigger.kind + (r.trigger.answers ? ` (${r.trigger.answers} answers)` : ""),
                h("span", { class: `state state-${r.status}` }, r.status),
                time(r.createdAt),
                duration(r.createdAt, done ? r.updatedAt : null),
                stepTimings(r),
                r.modelVersion === undefined ? "–" : `v${r.modelVersion}`,
                r.error ?? r.reason ?? "",
              ];
            }),
          ),
        ),
        settingsForm(c),
        h(
          "section",
          { id: "export" },
          h("h2", {}, "Export"),
          ...exportFormats.map((f) =>
            h("button", { type: "button", "data-format": f, onclick: () => act(`Export ${f}`, () => download(f)) }, f),
          ),
        ),
      ),
    );
    document.body.dataset.ready = "dashboard";
  }

  function settingsForm(c: Campaign): HTMLElement {
    const labels = h("input", { name: "labels", value: c.labels.join(", ") });
    const threshold = h("input", { name: "threshold", type: "number", min: 0, max: 1, step: 0.01, value: c.threshold });
    const strategy = h(
      "select",
      { name: "strategy" },
      ...(["uncertain", "random", "sequential"] as const).map((st) =>
        h("option", { value: st, selected: st === c.strategy }, st),
      ),
    );
    const retrainEvery = h("input", { name: "retrainEvery", type: "number", min: 0, step: 1, value: c.retrainEvery });
    const schedule = h("input", { name: "schedule", value: c.schedule ?? "", placeholder: "cron(0 * * * ? *)" });
    const members = h("textarea", { name: "members", rows: 3 }, c.members.map((m) => `${m.id}:${m.role}`).join("\n"));
    const form = h(
      "form",
      { id: "settings", class: "settings" },
      h("h2", {}, "Settings"),
      h("label", {}, "Labels (comma separated)", labels),
      h("label", {}, "Threshold", threshold),
      h("label", {}, "Strategy", strategy),
      h("label", {}, "Retrain every N answers", retrainEvery),
      h("label", {}, "Schedule", schedule),
      h("label", {}, "Members (one id:role a line)", members),
      h("button", { type: "submit" }, "Save settings"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void act("Save settings", () =>
        api.updateCampaign(cid, {
          labels: labels.value
            .split(",")
            .map((l) => l.trim())
            .filter(Boolean),
          threshold: Number(threshold.value),
          strategy: strategy.value as Strategy,
          retrainEvery: Number(retrainEvery.value),
          schedule: schedule.value.trim() || null,
          members: members.value
            .split("\n")
            .map((line) => line.trim())
            .filter(Boolean)
            .map((line) => {
              const [id, role] = line.split(":").map((x) => x.trim());
              return { id: id!, role: role === "reviewer" ? "reviewer" : "annotator" };
            }),
        }),
      );
    });
    return form;
  }

  async function download(format: (typeof exportFormats)[number]): Promise<void> {
    const blob = await api.blob(api.exportUrl(cid, format));
    const a = h("a", {
      href: URL.createObjectURL(blob),
      download: `${cid}.${format === "tfrecord" ? "tfrecord" : format === "coco" ? "json" : "zip"}`,
    });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  await refresh();
}

/** "Snapshot 0.4 s · Train 41.0 s · …", the running step marked. */
function stepTimings(r: TrainingRun): string {
  const steps = Object.entries(r.steps ?? {}).sort((a, b) => a[1].startedAt.localeCompare(b[1].startedAt));
  if (steps.length === 0) return r.step ?? "";
  return steps.map(([name, s]) => `${name} ${s.endedAt ? duration(s.startedAt, s.endedAt) : "running"}`).join(" · ");
}

function pt(x: number | undefined, y: number | undefined): [number, number][] {
  return x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y) ? [[x, y]] : [];
}

/** How many annotated images a version was trained on. */
function trainImages(m: ModelVersion): number | undefined {
  return m.annotatedImages ?? m.metrics.annotatedImages;
}

/** Share of shown suggestions accepted unchanged, per hour (x: hours ago, 0 = this hour). */
function acceptance(p: Progress | undefined): [number, number][] {
  const hours = p?.answers.fatesPerHour ?? [];
  return hours.flatMap((f, i) => {
    const shown = f.accepted + (f.moved ?? 0) + (f.relabelled ?? 0) + (f.deleted ?? 0);
    return shown > 0 ? [[i - (hours.length - 1), f.accepted / shown] as [number, number]] : [];
  });
}

function table(head: string[], rows: (string | Node)[][]): HTMLTableElement {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...head.map((t) => h("th", {}, t)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((cell) => h("td", {}, cell))))),
  );
}
