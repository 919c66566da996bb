// The page's own small client for /api/v1 (web talks to the API over HTTP only).
import type { Box, Suggestion } from "./geometry.ts";

export type Role = "admin" | "annotator";
export type MemberRole = "annotator" | "reviewer";
export type Answer = "accept" | "reject" | "ignore";
export type Strategy = "uncertain" | "random" | "sequential";

export interface Me {
  id: string;
  role: Role;
}

export interface Member {
  id: string;
  role: MemberRole;
}

export interface Progress {
  images: number;
  annotated: number;
  leased: number;
  skipped: number;
  answersPerHour: number;
  perAnnotator: { annotator: string; answers: number }[];
  acceptance: { time: string; suggestions: number; accepted: number }[];
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
  servingVersion?: string | null;
}

export interface Task {
  imageId: string;
  imageUrl: string;
  width: number;
  height: number;
  modelVersion: string | null;
  predictions: Suggestion[];
  predictionsUnavailable: boolean;
}

export interface AnswerBody {
  answer: Answer;
  boxes: Box[];
  modelVersion: string | null;
  durationMs: number;
  flagged?: boolean;
}

export interface Metrics {
  AP?: number;
  AP50?: number;
  AP75?: number;
  prCurve?: { recall: number; precision: number }[];
  [name: string]: unknown;
}

export interface ModelVersion {
  version: string;
  createdAt: string;
  annotatedImages: number;
  metrics: Metrics;
  serving: boolean;
}

export interface TrainingRun {
  id: string;
  state: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  modelVersion: string | null;
  steps?: { name: string; state: string; startedAt?: string; finishedAt?: string }[];
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

  me(): Promise<Me> {
    return this.request("GET", "/me");
  }

  async campaigns(): Promise<Campaign[]> {
    const r = await this.request<Campaign[] | { campaigns: Campaign[] }>("GET", "/campaigns");
    return Array.isArray(r) ? r : r.campaigns;
  }

  campaign(cid: string): Promise<Campaign> {
    return this.request("GET", `/campaigns/${enc(cid)}`);
  }

  updateCampaign(cid: string, patch: Partial<Omit<Campaign, "id" | "progress">>): Promise<Campaign> {
    return this.request("PATCH", `/campaigns/${enc(cid)}`, patch);
  }

  /** The next image with its predictions, or null when the campaign has nothing left for us. */
  async nextTask(cid: string, annotator: string): Promise<Task | null> {
    const r = await this.request<Task | undefined>("POST", `/campaigns/${enc(cid)}/tasks:next`, { annotator });
    return r ?? null;
  }

  putAnswer(cid: string, iid: string, annotator: string, body: AnswerBody, idempotencyKey: string): Promise<unknown> {
    return this.request(
      "PUT",
      `/campaigns/${enc(cid)}/images/${enc(iid)}/annotations/${enc(annotator)}`,
      { ...body, idempotencyKey },
      { "idempotency-key": idempotencyKey },
    );
  }

  async models(cid: string): Promise<ModelVersion[]> {
    const r = await this.request<ModelVersion[] | { models: ModelVersion[] }>("GET", `/campaigns/${enc(cid)}/models`);
    return Array.isArray(r) ? r : r.models;
  }

  promote(cid: string, version: string): Promise<unknown> {
    return this.request("POST", `/campaigns/${enc(cid)}/models/${version}:promote`);
  }

  async runs(cid: string): Promise<TrainingRun[]> {
    const r = await this.request<TrainingRun[] | { runs: TrainingRun[] }>(
      "GET",
      `/campaigns/${enc(cid)}/training-runs`,
    );
    return Array.isArray(r) ? r : r.runs;
  }

  startTraining(cid: string): Promise<TrainingRun> {
    return this.request("POST", `/campaigns/${enc(cid)}/training-runs`, {});
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
