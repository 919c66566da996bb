// The page's own small client for /api/v1 (web talks to the API over HTTP only).
import type { Box, Suggestion } from "./geometry.ts";

export type Role = "admin" | "annotator";
export type MemberRole = "annotator" | "reviewer";
export type Answer = "accept" | "reject" | "ignore";
export type Strategy = "uncertain" | "random" | "sequential";

export interface Me {
  subject: string;
  role: Role;
  /** Set when the server has no `GET /me` and the id was typed at sign-in. */
  guessed?: true;
}

export interface Member {
  id: string;
  role: MemberRole;
}

export interface Progress {
  images: { total: number; annotated: number; leased: number; skipped: number; rejected: number; remaining: number };
  answers: {
    total: number;
    perAnnotator: Record<string, number>;
    lastHour: number;
    /** Answers per hour over the last 24 hours, oldest first. */
    perHour: number[];
    /** What became of the suggestions, per hour, aligned with perHour (when the API provides it). */
    fatesPerHour?: { accepted: number; moved?: number; relabelled?: number; deleted?: number; added?: number }[];
  };
  model: ModelVersion | null;
}

export interface Campaign {
  id: string;
  name: string;
  labels: string[];
  threshold: number;
  strategy: Strategy;
  retrainEvery: number;
  schedule: string | null;
  members: Member[];
  progress?: Progress;
}

/** A leased image with the model's suggestions (already at or above the campaign threshold). */
export interface Task {
  imageId: string;
  imageUrl: string;
  width: number;
  height: number;
  modelVersion: string | null;
  predictions: Suggestion[];
  predictionsUnavailable: boolean;
}

interface RawTask {
  image: { id: string; url: string; width: number; height: number };
  predictions: { modelVersion: string; boxes: Suggestion[] } | null;
  predictionsUnavailable: boolean;
}

export interface AnswerBody {
  answer: Answer;
  boxes: Box[];
  modelVersion: string | null;
  durationMs: number;
  /** Sent only when the API's AnswerInput schema has it (see `answerFields`). */
  flagged?: boolean;
}

export interface ModelVersion {
  version: string;
  createdAt: string;
  runId?: string;
  metrics: Record<string, number>;
  serving: boolean;
  /** Images (train + held-out) in the snapshot it was trained on: the learning curve's x. */
  annotatedImages?: number;
  /** Set when this version republishes an older one (promote / roll back). */
  promotedFrom?: number;
  /** Precision–recall at IoU 0.5 on the held-out images. */
  prCurve?: { recall: number; precision: number }[];
}

export interface TrainingRun {
  id: string;
  status: "queued" | "running" | "succeeded" | "failed" | "skipped";
  trigger: { kind: string; by?: string; answers?: number };
  createdAt: string;
  updatedAt: string;
  step?: string;
  error?: string;
  modelVersion?: string;
  metrics?: Record<string, number>;
  /** Step timings, when the workflow records them. */
  steps?: Record<string, { startedAt: string; endedAt?: string }>;
  /** Why a run was skipped or not promoted, when the workflow says. */
  reason?: string;
}

export const exportFormats = ["coco", "voc", "yolo", "csv", "tfrecord"] as const;
export type ExportFormat = (typeof exportFormats)[number];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
  /** Worth retrying later: the network or the server failed, not the request. */
  get transient(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export class Api {
  constructor(
    private readonly token: string,
    readonly base = "/api/v1",
  ) {}

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new ApiError(0, "network", `network error: ${(e as Error).message}`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
      throw new ApiError(
        res.status,
        err?.code ?? "http",
        err?.message ?? `${res.status} ${res.statusText}`,
        err?.field,
      );
    }
    return json as T;
  }

  /** The fields the API's AnswerInput accepts (it is strict), read from the OpenAPI document. */
  async answerFields(): Promise<Set<string>> {
    try {
      const doc = await this.request<{ components?: { schemas?: Record<string, { properties?: object }> } }>(
        "GET",
        "/openapi.json",
      );
      return new Set(Object.keys(doc.components?.schemas?.AnswerInput?.properties ?? {}));
    } catch {
      return new Set(["answer", "boxes", "modelVersion", "durationMs"]);
    }
  }

  me(): Promise<Me> {
    return this.request("GET", "/me");
  }

  async campaigns(): Promise<Campaign[]> {
    return (await this.request<{ campaigns: Campaign[] }>("GET", "/campaigns")).campaigns;
  }

  campaign(cid: string): Promise<Campaign> {
    return this.request("GET", `/campaigns/${enc(cid)}`);
  }

  updateCampaign(cid: string, patch: Partial<Omit<Campaign, "id" | "progress">>): Promise<Campaign> {
    return this.request("PATCH", `/campaigns/${enc(cid)}`, patch);
  }

  /** The next image with its predictions, or null when the campaign has nothing left for us. */
  async nextTask(cid: string, annotator: string): Promise<Task | null> {
    const r = await this.request<RawTask | undefined>("POST", `/campaigns/${enc(cid)}/tasks:next`, { annotator });
    if (!r) return null;
    return {
      imageId: r.image.id,
      imageUrl: r.image.url,
      width: r.image.width,
      height: r.image.height,
      modelVersion: r.predictions?.modelVersion ?? null,
      predictions: r.predictions?.boxes ?? [],
      predictionsUnavailable: r.predictionsUnavailable,
    };
  }

  putAnswer(cid: string, iid: string, annotator: string, body: AnswerBody, idempotencyKey: string): Promise<unknown> {
    return this.request("PUT", `/campaigns/${enc(cid)}/images/${enc(iid)}/annotations/${enc(annotator)}`, body, {
      "idempotency-key": idempotencyKey,
    });
  }

  async models(cid: string): Promise<ModelVersion[]> {
    return (await this.request<{ models: ModelVersion[] }>("GET", `/campaigns/${enc(cid)}/models`)).models;
  }

  promote(cid: string, version: string): Promise<ModelVersion> {
    return this.request("POST", `/campaigns/${enc(cid)}/models/${enc(version)}:promote`);
  }

  async runs(cid: string): Promise<TrainingRun[]> {
    const r = await this.request<TrainingRun[] | { runs: TrainingRun[] }>(
      "GET",
      `/campaigns/${enc(cid)}/training-runs`,
    );
    return Array.isArray(r) ? r : r.runs;
  }

  startTraining(cid: string): Promise<TrainingRun> {
    return this.request("POST", `/campaigns/${enc(cid)}/training-runs`);
  }

  /** Bytes of an image or an export, fetched with the bearer token (an <img> or <a> cannot send it). */
  async blob(url: string): Promise<Blob> {
    const sameOrigin = new URL(url, location.href).origin === location.origin;
    let res: Response;
    try {
      res = await fetch(url, sameOrigin ? { headers: { authorization: `Bearer ${this.token}` } } : {});
    } catch (e) {
      throw new ApiError(0, "network", `network error: ${(e as Error).message}`);
    }
    if (!res.ok) throw new ApiError(res.status, "http", `${url}: ${res.status}`);
    return res.blob();
  }

  exportUrl(cid: string, format: ExportFormat): string {
    return `${this.base}/campaigns/${enc(cid)}/export?format=${format}`;
  }
}

const enc = encodeURIComponent;
