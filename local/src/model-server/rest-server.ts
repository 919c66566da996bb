// TF Serving's REST API (port 8501): model status, metadata, :predict (and :classify/:regress,
// which a predict-only model refuses as TF Serving does), Prometheus metrics. Errors are
// {"error": "<message>"} with the HTTP status TF Serving maps each status code to.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { parsePredictRequest, predictResponseJson } from "./json-tensor.ts";
import type { VersionRequest, VersionStatus } from "./served-model.ts";
import type { ServerCore } from "./server-core.ts";
import { invalidArgument, ServingError, toServingError } from "./serving-error.ts";
import { defaultSignature } from "./signature.ts";

export const prometheusPath = "/monitoring/prometheus/metrics";

const predictPath = /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+)|\/labels\/([^/:]+))?:(classify|regress|predict)$/i;
const statusPath = /^\/v1\/models(?:\/([^/:]+))?(?:\/versions\/(\d+)|\/labels\/([^/:]+))?(?:\/(metadata))?$/i;

/** GetModelStatusResponse as protobuf's JSON printer writes it (int64 as string, enums by name). */
export function statusJson(statuses: VersionStatus[]): unknown {
  return {
    model_version_status: statuses.map((s) => ({
      version: String(s.version),
      state: s.state,
      status: { error_code: s.error?.code ?? "OK", error_message: s.error?.message ?? "" },
    })),
  };
}

function versionRequest(version: string | undefined, label: string | undefined): VersionRequest {
  if (version !== undefined && !Number.isSafeInteger(Number(version))) {
    throw invalidArgument(`Failed to convert version: ${version} to numeric.`);
  }
  return {
    version: version === undefined ? undefined : Number(version),
    label: label === undefined ? undefined : decodeURIComponent(label),
  };
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLarge());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
    // A client that goes away mid-body: settle, so nothing waits forever.
    req.on("close", () => {
      if (!req.complete) reject(new Error("the client closed the connection before sending the whole body"));
    });
  });
}

export interface RestOptions {
  maxBodyBytes: number;
}

export function createRestServer(core: ServerCore, options: RestOptions): Server {
  async function handle(method: string, path: string, req: IncomingMessage): Promise<{ status: number; body: string }> {
    const predict = method === "POST" ? predictPath.exec(path) : null;
    if (predict) {
      const [, rawName, version, label, verb] = predict;
      const model = decodeURIComponent(rawName!);
      const what = versionRequest(version, label);
      const body = await readBody(req, options.maxBodyBytes);
      const started = performance.now();
      let ok = false;
      try {
        if (verb!.toLowerCase() !== "predict") {
          const doc = parseClassifyBody(body);
          core.checkMethod(model, what, doc, verb!.toLowerCase() as "classify" | "regress");
        }
        const parsed = parsePredictRequest(body, (sig) => core.inputSpecs(model, what, sig));
        const result = await core.predict({
          model,
          ...what,
          signatureName: parsed.signatureName,
          inputs: parsed.inputs,
        });
        ok = true;
        return { status: 200, body: predictResponseJson(result.outputs, parsed.format) };
      } finally {
        if (core.models.has(model)) {
          core.metrics.observe(model, verb!.toLowerCase(), "REST", ok, (performance.now() - started) * 1000);
        }
      }
    }
    const status = method === "GET" ? statusPath.exec(path) : null;
    if (status) {
      const [, rawName, version, label, metadata] = status;
      if (!rawName) throw invalidArgument("Missing model name in request.");
      const model = decodeURIComponent(rawName);
      const what = versionRequest(version, label);
      if (metadata) return { status: 200, body: JSON.stringify(metadataJson(core, model, what), null, 1) };
      const served = core.models.get(model);
      if (!served) throw new ServingError("NOT_FOUND", `Could not find any versions of model ${model}`);
      let v = what.version;
      if (what.label !== undefined) {
        v = served.labels[what.label];
        if (v === undefined) throw invalidArgument(`Unrecognized servable version label: ${what.label}`);
      }
      return { status: 200, body: JSON.stringify(statusJson(served.status(v)), null, 1) };
    }
    throw invalidArgument(`Malformed request: ${method} ${path}`);
  }

  return createServer((req, res: ServerResponse) => {
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === prometheusPath) {
      res.writeHead(200, { "Content-Type": "text/plain" }).end(core.metrics.page());
      return;
    }
    if (!/^\/v1\//i.test(path)) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
      req.resume();
      return;
    }
    handle(method, path, req).then(
      ({ status, body }) => {
        res.writeHead(status, { "Content-Type": "application/json" }).end(body);
      },
      (error: unknown) => {
        if (error instanceof BodyTooLarge) {
          res
            .writeHead(413, { "Content-Type": "application/json", Connection: "close" })
            .end(JSON.stringify({ error: `Request body is larger than ${options.maxBodyBytes} bytes` }));
          return;
        }
        const e = toServingError(error);
        res.writeHead(e.httpStatus, { "Content-Type": "application/json" }).end(JSON.stringify({ error: e.message }));
      },
    );
  });
}

function parseClassifyBody(body: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    throw invalidArgument(`JSON Parse error: ${(error as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw invalidArgument("JSON Value: Is not object");
  const record = doc as Record<string, unknown>;
  if (!Array.isArray(record.examples)) {
    throw invalidArgument(
      "JSON Value: (request) When method is classify, key 'examples' is expected and was not found",
    );
  }
  return typeof record.signature_name === "string" ? record.signature_name : "";
}

/** GetModelMetadataResponse as TF Serving's REST API prints it (proto field names, defaults included). */
export function metadataJson(core: ServerCore, model: string, what: VersionRequest): unknown {
  const handle = core.model(model, what).acquire(what);
  try {
    return {
      model_spec: { name: model, signature_name: "", version: String(handle.version) },
      metadata: { signature_def: handle.servable.signatureDefMap().json },
    };
  } finally {
    handle.release();
  }
}

export { defaultSignature };
