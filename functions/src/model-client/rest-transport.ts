// TF Serving's REST API over fetch: row-format `instances`, answers in `predictions`.
import { codeFromHttp, ModelServerError } from "./errors.ts";
import type { ImageInput, OutputTensor, PredictCall, PredictReply, Transport, VersionStatus } from "./transport.ts";

/** The body for one image: pixels as nested [h][w][3] lists, or {"b64": …} for encoded bytes. */
export function instancesBody(image: ImageInput, signatureName?: string): string {
  const head = signatureName ? `{"signature_name":${JSON.stringify(signatureName)},"instances":[` : '{"instances":[';
  if (image.kind === "encoded") return `${head}{"b64":"${Buffer.from(image.bytes).toString("base64")}"}]}`;
  const { data, width, height } = image;
  const rows: string[] = new Array(height);
  const px: string[] = new Array(width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      px[x] = `[${data[i]},${data[i + 1]},${data[i + 2]}]`;
    }
    rows[y] = `[${px.join(",")}]`;
  }
  return `${head}[${rows.join(",")}]]}`;
}

type Json = number | Json[];

function flatten(value: Json): OutputTensor {
  const shape: number[] = [];
  let v: Json = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0]!;
  }
  const values: number[] = [];
  const walk = (x: Json) => {
    if (Array.isArray(x)) for (const item of x) walk(item);
    else values.push(x);
  };
  walk(value);
  return { shape, values };
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const e = error as Error;
    if (e.name === "TimeoutError")
      throw new ModelServerError("DEADLINE_EXCEEDED", `no answer from ${url} within ${timeoutMs} ms`);
    throw new ModelServerError("UNAVAILABLE", `${url}: ${(e.cause as Error | undefined)?.message ?? e.message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const message = (body as { error?: unknown } | undefined)?.error;
    throw new ModelServerError(
      codeFromHttp(res.status),
      typeof message === "string" ? message : `HTTP ${res.status}: ${text.slice(0, 200)}`,
    );
  }
  if (body === undefined) throw new ModelServerError("INTERNAL", `${url}: the answer is not JSON`);
  return body;
}

export function restTransport(baseUrl: string): Transport {
  const base = baseUrl.replace(/\/+$/, "");
  const modelUrl = (model: string, version?: number) =>
    `${base}/v1/models/${encodeURIComponent(model)}${version === undefined ? "" : `/versions/${version}`}`;
  return {
    async predict(c: PredictCall): Promise<PredictReply> {
      const body = await call(
        `${modelUrl(c.model, c.version)}:predict`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: instancesBody(c.image, c.signatureName),
        },
        c.timeoutMs,
      );
      const predictions = (body as { predictions?: unknown }).predictions;
      if (!Array.isArray(predictions) || predictions.length !== 1) {
        throw new ModelServerError("INTERNAL", "the answer has no 'predictions' for the one instance sent");
      }
      const first = predictions[0] as Record<string, Json>;
      const outputs: Record<string, OutputTensor> = {};
      for (const [name, value] of Object.entries(first)) {
        const t = flatten(value);
        outputs[name] = { shape: [1, ...t.shape], values: t.values };
      }
      return { outputs };
    },
    async status(model: string, timeoutMs: number): Promise<VersionStatus[]> {
      const body = (await call(modelUrl(model), { method: "GET" }, timeoutMs)) as {
        model_version_status?: {
          version: string;
          state: string;
          status?: { error_code?: string; error_message?: string };
        }[];
      };
      return (body.model_version_status ?? []).map((s) => ({
        version: Number(s.version),
        state: s.state,
        errorCode: s.status?.error_code ?? "OK",
        errorMessage: s.status?.error_message ?? "",
      }));
    },
    close() {},
  };
}
