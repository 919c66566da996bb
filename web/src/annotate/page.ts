// The annotation page, read top to bottom: lease a task (the next ones are prefetched, images
// decoded), edit its boxes, answer with a key, queue the answer in the outbox, show the next task.
import { type Answer, type AnswerBody, type Api, ApiError, type Campaign, type Me, type Task } from "../api.ts";
import { h } from "../dom.ts";
import { countFates, type FateCounts, roundBox, suggestionFates } from "../geometry.ts";
import { Outbox } from "../outbox.ts";
import { type EditBox, Editor, labelColor } from "./editor.ts";
import { helpDialog, keyFor } from "./keys.ts";

interface Loaded {
  task: Task;
  img: HTMLImageElement;
}

interface Answered extends Loaded {
  answer: Answer;
  boxes: EditBox[];
  flagged: boolean;
  counts: FateCounts;
  threshold: number;
}

const historySize = 10;

export async function annotatePage(root: HTMLElement, api: Api, me: Me, campaign: Campaign): Promise<void> {
  // Session state.
  let current: Loaded | null = null;
  let startedAt = performance.now();
  let flagged = false;
  /** Tasks leased ahead, image decoded, in the order they will be shown. */
  const ahead: { task: Promise<Loaded | null>; ready: boolean }[] = [];
  const history: Answered[] = [];
  /** While revisiting an earlier answer: its index in `history`, and the task put aside. */
  let revisit: { index: number; resume: Loaded | null } | null = null;
  const session = new Map<string, { answer: Answer; counts: FateCounts }>();
  let answerPressedAt: number | null = null;
  /** An answer is waiting for the next task to arrive. */
  let loadingNext = false;

  const canFlag = (await api.answerFields()).has("flagged");
  // How many tasks to hold ahead (`?prefetch=0` turns it off: the benchmark's baseline).
  const depth = Number(new URL(location.href).searchParams.get("prefetch") ?? 2);
  const editor = new Editor(campaign.labels, () => renderSide());
  editor.threshold = campaign.threshold;

  const unsentEl = h("span", { id: "unsent", class: "unsent" });
  const statsEl = h("span", { id: "stats" });
  const modelEl = h("span", { id: "model-version" });
  const flagEl = h("span", { id: "flag", class: "flag" });
  const messageEl = h("div", { id: "message", class: "message", role: "status" });
  const boxListEl = h("ol", { id: "box-list", class: "box-list" });
  const historyEl = h("ol", { id: "history", class: "history" });
  const labelsEl = h("div", { id: "labels", class: "labels" });
  const thresholdValue = h("output", {}, editor.threshold.toFixed(2));
  // The API sends only suggestions at or above the campaign's threshold: the slider can hide more.
  const slider = h("input", {
    id: "threshold",
    type: "range",
    min: campaign.threshold,
    max: 1,
    step: 0.01,
    value: editor.threshold,
  });
  const setThreshold = (value: number) => {
    editor.setThreshold(value);
    slider.value = String(value);
    thresholdValue.textContent = value.toFixed(2);
  };
  slider.addEventListener("input", () => setThreshold(Number(slider.value)));
  slider.addEventListener("change", () => slider.blur());

  root.replaceChildren(
    h(
      "div",
      { class: "annotate" },
      h(
        "header",
        { class: "bar" },
        h("strong", {}, campaign.name),
        modelEl,
        statsEl,
        flagEl,
        unsentEl,
        h("button", { type: "button", onclick: () => toggleHelp() }, "Keys (h)"),
      ),
      h("main", {}, editor.el, messageEl),
      h(
        "aside",
        {},
        h("h3", {}, "Labels"),
        labelsEl,
        h("h3", {}, "Suggestions"),
        h("label", { class: "threshold" }, "Threshold ", slider, " ", thresholdValue),
        h("h3", {}, "Boxes"),
        boxListEl,
        h("h3", {}, "Last answers"),
        historyEl,
      ),
    ),
  );

  const outbox = await Outbox.open(api, (o) => {
    unsentEl.textContent = o.unsent === 0 ? "all saved" : `${o.unsent} unsent`;
    unsentEl.classList.toggle("pending", o.unsent > 0);
    unsentEl.dataset.writing = String(o.writing);
    const refused = o.failed[0];
    if (refused) {
      // Kept (and counted as unsent) until the annotator has seen why and lets it go.
      showMessage(`The server refused the answer for image ${refused.image}: ${refused.error} `);
      messageEl.append(
        h("button", { type: "button", id: "discard", onclick: () => void o.discard(refused.key) }, "Discard it"),
      );
    } else if (messageEl.querySelector("#discard")) showMessage("");
  });
  // A clicked button must not keep the focus: space and the letters belong to the annotation keys.
  root.addEventListener("click", (e) => {
    if (e.target instanceof HTMLButtonElement) e.target.blur();
  });
  addEventListener("beforeunload", (e) => {
    if (outbox.unsent > 0) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  /** Leases the next task and decodes its image; waits out network and server failures. */
  async function loadTask(): Promise<Loaded | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        const task = await api.nextTask(campaign.id, me.subject);
        if (!task) return null;
        const img = new Image();
        img.src = URL.createObjectURL(await api.blob(task.imageUrl));
        await img.decode();
        return { task, img };
      } catch (e) {
        if (e instanceof ApiError && !e.transient) throw e;
        await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** attempt)));
      }
    }
  }

  /** Tops the queue up to `depth`, one lease at a time so the order holds. */
  function prefetch(): void {
    while (ahead.length < depth) {
      const previous = ahead.at(-1)?.task ?? Promise.resolve(undefined);
      const entry: { task: Promise<Loaded | null>; ready: boolean } = {
        task: previous.then(
          (p) => (p === null ? null : loadTask()),
          () => loadTask(),
        ),
        ready: false,
      };
      entry.task.then(
        () => {
          entry.ready = true;
          publishAhead();
        },
        () => {},
      );
      ahead.push(entry);
    }
    publishAhead();
  }

  /** How many tasks wait ready (image decoded): tests and the curious read it off the page. */
  function publishAhead(): void {
    document.body.dataset.ahead = String(ahead.filter((a) => a.ready).length);
  }

  function show(loaded: Loaded | null, previous?: Answered): void {
    current = loaded;
    if (!loaded) {
      editor.el.hidden = true;
      showMessage("No more images to annotate in this campaign. Thank you!");
      renderSide();
      return;
    }
    editor.el.hidden = false;
    const { task, img } = loaded;
    editor.el.dataset.imageId = task.imageId;
    if (previous) setThreshold(previous.threshold);
    editor.load(img, task.width, task.height, task.predictions, previous?.boxes);
    flagged = previous?.flagged ?? false;
    startedAt = performance.now();
    modelEl.textContent =
      task.modelVersion !== null
        ? `suggestions from model v${task.modelVersion}`
        : task.predictionsUnavailable
          ? "model server unavailable: no suggestions"
          : "no model yet";
    showMessage(previous ? `Revisiting your answer "${previous.answer}": change it and answer again.` : "");
    renderSide();
    if (answerPressedAt !== null) {
      const pressed = answerPressedAt;
      answerPressedAt = null;
      // After the next frame has been produced: the time an annotator waits (bench/annotate.ts).
      requestAnimationFrame(() =>
        setTimeout(() => {
          const ms = performance.now() - pressed;
          document.dispatchEvent(new CustomEvent("boxloop:drawn", { detail: { ms, imageId: task.imageId } }));
        }, 0),
      );
    }
  }

  async function answer(kind: Answer): Promise<void> {
    if (!current) return;
    answerPressedAt = performance.now();
    const done = current;
    const final = editor.visibleBoxes().map((b) => ({ ...b }));
    const counts = countFates(suggestionFates(editor.suggestions, editor.shownSuggestions(), final));
    const body: AnswerBody = {
      answer: kind,
      boxes: final.map((b) => roundBox({ label: b.label, x: b.x, y: b.y, width: b.width, height: b.height })),
      modelVersion: done.task.modelVersion,
      durationMs: Math.round(performance.now() - startedAt),
      ...(flagged && canFlag ? { flagged: true } : {}),
    };
    void outbox
      .add(campaign.id, done.task.imageId, me.subject, body)
      .catch((e) => showMessage(`Could not store: ${e}`));
    const entry: Answered = { ...done, answer: kind, boxes: final, flagged, counts, threshold: editor.threshold };
    session.set(done.task.imageId, { answer: kind, counts });
    if (revisit) {
      history[revisit.index] = entry;
      const resume = revisit.resume;
      revisit = null;
      if (resume === null && loadingNext) showWaiting();
      else show(resume);
      return;
    }
    history.push(entry);
    if (history.length > historySize) history.shift();
    const next = ahead.shift();
    prefetch();
    current = null; // until the next one is on screen, keys answer nothing
    loadingNext = true;
    const waiting = setTimeout(() => {
      if (!revisiting()) showWaiting();
    }, 250);
    try {
      const loaded = next ? await next.task.catch(() => loadTask()) : await loadTask();
      // Went back to an earlier answer meanwhile: this one waits until that is answered again.
      const back = revisiting();
      if (back) back.resume = loaded;
      else show(loaded);
    } catch (e) {
      showMessage(`Could not load the next image: ${(e as Error).message}`);
    } finally {
      loadingNext = false;
      clearTimeout(waiting);
    }
  }

  /** Read through a call: TypeScript would otherwise keep its narrowing from before the await. */
  function revisiting() {
    return revisit;
  }

  function showWaiting(): void {
    current = null;
    editor.el.hidden = true;
    renderSide();
    showMessage("Waiting for the network to load the next image… Your answers are kept in this browser.");
  }

  /** Opens an earlier answer (the one before the current, or a given one) for editing. */
  function undo(index?: number): void {
    const at = index ?? (revisit ? revisit.index - 1 : history.length - 1);
    if (at < 0 || at >= history.length) return;
    if (!revisit) revisit = { index: at, resume: current };
    else revisit.index = at;
    show(history[at]!, history[at]!);
  }

  function showMessage(text: string): void {
    messageEl.textContent = text;
    messageEl.hidden = text === "";
  }

  let help: HTMLDialogElement | null = null;
  function toggleHelp(): void {
    if (help?.open) {
      help.close();
      return;
    }
    help ??= document.body.appendChild(helpDialog());
    help.showModal();
  }

  function renderSide(): void {
    let answers = 0;
    let accepted = 0;
    let corrected = 0;
    for (const v of session.values()) {
      answers += 1;
      accepted += v.counts.accepted;
      corrected += v.counts.corrected;
    }
    statsEl.textContent = `${answers} answers · ${accepted} suggestions accepted · ${corrected} boxes corrected`;
    flagEl.textContent = flagged ? "⚑ flagged" : "";
    labelsEl.replaceChildren(
      ...campaign.labels.map((l, i) =>
        h(
          "button",
          {
            type: "button",
            class: l === editor.currentLabel ? "label current" : "label",
            style: `border-color: ${labelColor(campaign.labels, l)}`,
            onclick: () => editor.setLabel(l),
          },
          h("kbd", {}, i < 9 ? String(i + 1) : ""),
          ` ${l}`,
        ),
      ),
    );
    boxListEl.replaceChildren(
      ...(current ? editor.visibleBoxes() : []).map((b) =>
        h(
          "li",
          {
            class: b.id === editor.selected ? "selected" : "",
            onclick: () => editor.select(b.id),
          },
          `${b.label} ${Math.round(b.width)}×${Math.round(b.height)} at ${Math.round(b.x)},${Math.round(b.y)}`,
          b.from !== null && !b.touched ? ` (suggested ${b.score?.toFixed(2)})` : "",
        ),
      ),
    );
    historyEl.replaceChildren(
      ...history
        .map((e, i) =>
          h(
            "li",
            {
              class: revisit?.index === i ? "selected" : "",
              "data-image": e.task.imageId,
              onclick: () => undo(i),
            },
            `${e.answer} · ${e.boxes.length} box${e.boxes.length === 1 ? "" : "es"}${e.flagged ? " · ⚑" : ""}`,
          ),
        )
        .reverse(),
    );
  }

  document.addEventListener("keydown", (e) => {
    const target = e.target as HTMLElement;
    if (target.closest("input, textarea, select") && target.getAttribute("type") !== "range") return;
    const action = keyFor(e);
    if (!action) return;
    if (help?.open && action.kind !== "help") return;
    e.preventDefault();
    switch (action.kind) {
      case "answer":
        if (!e.repeat) void answer(action.answer);
        break;
      case "undo":
        undo();
        break;
      case "label": {
        const l = campaign.labels[action.index];
        if (l) editor.setLabel(l);
        break;
      }
      case "flag":
        flagged = !flagged;
        renderSide();
        break;
      case "help":
        toggleHelp();
        break;
      case "delete":
        editor.deleteSelected();
        break;
      case "nudge":
        editor.nudge(action.dx, action.dy, action.resize);
        break;
      case "next-box":
        editor.selectNext(action.step);
        break;
      case "deselect":
        editor.select(null);
        break;
      case "zoom":
        if (action.factor === 0) editor.fit();
        else editor.zoomBy(action.factor);
        break;
    }
  });

  show(await loadTask());
  prefetch();
  document.body.dataset.ready = "annotate";
}
