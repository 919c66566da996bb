// The one client for TF Serving (real, or `boxloop serve`): REST or gRPC transport, a timeout on
// every call, retries with exponential backoff on UNAVAILABLE, and a circuit breaker so that a dead
// server makes callers fail fast instead of waiting. Predictions come back as pixel boxes.
import { CircuitBreaker, type CircuitBreakerOptions } from "./circuit-breaker.ts";
import { decodeToRgb } from "./decode-image.ts";
import { type DetectionOutputs, type PixelBox, toPixelBoxes } from "./detections.ts";
import { ModelServerError } from "./errors.ts";
import { grpcTransport } from "./grpc-transport.ts";
import { restTransport } from "./rest-transport.ts";
import type { ImageInput, PredictReply, Transport, VersionStatus } from "./transport.ts";

export interface ModelClientOptions {
  transport: "rest" | "grpc";
  /** REST: `http://host:8501`; gRPC: `host:8500`. */
  address: string;
  /** Per attempt. @default 3000 */
  timeoutMs?: number;
  /** Extra attempts after an UNAVAILABLE. @default 2 */
  retries?: number;
  /** First backoff; doubles each retry, with jitter. @default 50 */
  backoffMs?: number;
  breaker?: CircuitBreakerOptions;
  /** "pixels" works with any TF Serving; "encoded" sends the JPEG/PNG bytes (boxloop serve). @default "pixels" */
  imageEncoding?: "pixels" | "encoded";
  /** How long the latest version is trusted. @default 1000 */
  versionTtlMs?: number;
}

export interface DetectOptions {
  /** Size the boxes are returned in (the image's). */
  width: number;
  height: number;
  /** Class id → label, or a lookup by model version (label maps can differ between versions). */
  labels: ReadonlyMap<number, string> | ((version: number) => Promise<ReadonlyMap<number, string>>);
  threshold: number;
  /** Pin a version; by default the newest available one (asked again once if it vanished meanwhile). */
  version?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ModelClient {
  readonly breaker: CircuitBreaker;
  private readonly transport: Transport;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly versionTtlMs: number;
  private readonly versions = new Map<string, { version: number | null; at: number }>();

  constructor(private readonly options: ModelClientOptions) {
    this.transport = options.transport === "grpc" ? grpcTransport(options.address) : restTransport(options.address);
    this.breaker = new CircuitBreaker(options.breaker);
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 50;
    this.versionTtlMs = options.versionTtlMs ?? 1000;
  }

  /** Runs one call through the breaker, retrying UNAVAILABLE with backoff. */
  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    this.breaker.before();
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await fn();
        this.breaker.success();
        return result;
      } catch (error) {
        const e = error instanceof ModelServerError ? error : new ModelServerError("UNKNOWN", (error as Error).message);
        if (e.retryable && attempt < this.retries) {
          await sleep(this.backoffMs * 2 ** attempt * (0.5 + Math.random()));
          continue;
        }
        if (e.serverFault) this.breaker.failure();
        else this.breaker.success();
        throw e;
      }
    }
  }

  status(model: string): Promise<VersionStatus[]> {
    return this.guarded(() => this.transport.status(model, this.timeoutMs));
  }

  /** The newest AVAILABLE version, or null when the server has no such model or none is available. */
  async latestVersion(model: string): Promise<number | null> {
    const cached = this.versions.get(model);
    if (cached && Date.now() - cached.at < this.versionTtlMs) return cached.version;
    let version: number | null;
    try {
      const statuses = await this.status(model);
      const available = statuses.filter((s) => s.state === "AVAILABLE").map((s) => s.version);
      version = available.length ? Math.max(...available) : null;
    } catch (error) {
      if (!(error instanceof ModelServerError) || error.code !== "NOT_FOUND") throw error;
      version = null;
    }
    this.versions.set(model, { version, at: Date.now() });
    return version;
  }

  predict(model: string, image: ImageInput, version?: number): Promise<PredictReply> {
    return this.guarded(() => this.transport.predict({ model, version, image, timeoutMs: this.timeoutMs }));
  }

  /** Boxes for an encoded image, or null when the model has no available version. */
  async detect(
    model: string,
    bytes: Uint8Array,
    o: DetectOptions,
  ): Promise<{ version: number; boxes: PixelBox[] } | null> {
    let version = o.version ?? (await this.latestVersion(model));
    if (version === null) return null;
    const image: ImageInput =
      this.options.imageEncoding === "encoded"
        ? { kind: "encoded", bytes }
        : { kind: "pixels", ...(await decodeToRgb(bytes)) };
    let reply: PredictReply;
    try {
      reply = await this.predict(model, image, version);
    } catch (error) {
      // The version was unloaded between the status call and this one: ask again once.
      if (o.version !== undefined || !(error instanceof ModelServerError) || error.code !== "NOT_FOUND") throw error;
      this.versions.delete(model);
      version = await this.latestVersion(model);
      if (version === null) return null;
      reply = await this.predict(model, image, version);
    }
    const out = reply.outputs;
    for (const name of ["detection_boxes", "detection_scores", "detection_classes"]) {
      if (!out[name]) throw new ModelServerError("INTERNAL", `the model's answer has no ${name}`);
    }
    const outputs: DetectionOutputs = {
      detection_boxes: out.detection_boxes!.values,
      detection_scores: out.detection_scores!.values,
      detection_classes: out.detection_classes!.values,
      num_detections: out.num_detections?.values,
    };
    const labels = typeof o.labels === "function" ? await o.labels(version) : o.labels;
    return { version, boxes: toPixelBoxes(outputs, { ...o, labels }) };
  }

  close(): void {
    this.transport.close();
  }
}
