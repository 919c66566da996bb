// Shared pieces of the model-server tests: a server on ephemeral loopback ports, a raw gRPC client
// built from the generated service descriptors, and a raccoon photo as JPEG bytes and RGB pixels.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { grpcDefinition } from "@boxloop/functions/model-client/grpc-service";
import { ModelService } from "@boxloop/proto/gen/tensorflow_serving/apis/model_service_pb";
import { PredictionService } from "@boxloop/proto/gen/tensorflow_serving/apis/prediction_service_pb";
import * as grpc from "@grpc/grpc-js";
import sharp from "sharp";
import { type ModelServer, type ModelServerOptions, startModelServer } from "../../local/src/model-server/index.ts";
import { latestOne } from "../../local/src/model-server/version-policy.ts";

export const raccoonDir = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");

export async function tempDir(prefix = "boxloop-ms-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface TestServer extends ModelServer {
  rest: string;
  grpcAddress: string;
  logs: string[];
}

export async function startTestServer(
  basePath: string,
  options: Partial<ModelServerOptions> = {},
  name = "detector",
): Promise<TestServer> {
  const logs: string[] = [];
  const server = await startModelServer({
    models: [{ name, basePath, policy: latestOne, labels: {} }],
    grpcPort: 0,
    restApiPort: 0,
    host: "127.0.0.1",
    fileSystemPollWaitSeconds: 0,
    log: (line) => logs.push(line),
    ...options,
  });
  return Object.assign(server, {
    rest: `http://127.0.0.1:${server.restPort}`,
    grpcAddress: `127.0.0.1:${server.grpcPort}`,
    logs,
  });
}

const PredictionClient = grpc.makeGenericClientConstructor(grpcDefinition(PredictionService), "PredictionService");
const ModelClient = grpc.makeGenericClientConstructor(grpcDefinition(ModelService), "ModelService");

/** Calls one unary method; resolves to [error, response]. */
export function grpcCall(
  address: string,
  service: "prediction" | "model",
  method: string,
  request: unknown,
): Promise<[grpc.ServiceError | null, unknown]> {
  const Ctor = service === "prediction" ? PredictionClient : ModelClient;
  const client = new Ctor(address, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": -1 });
  return new Promise((resolve) => {
    const fn = (
      client as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void>
    )[method]!.bind(client);
    fn(request, (error, response) => {
      client.close();
      resolve([error, response]);
    });
  });
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function getJson(url: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export interface Photo {
  jpeg: Uint8Array;
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** A raccoon photo, optionally resized (as JPEG again) to keep JSON bodies small. */
export async function raccoonPhoto(name = "raccoon-1.jpg", width?: number): Promise<Photo> {
  let jpeg = new Uint8Array(await readFile(join(raccoonDir, "images", name)));
  if (width) jpeg = new Uint8Array(await sharp(jpeg).resize({ width }).jpeg({ quality: 90 }).toBuffer());
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { jpeg, pixels: new Uint8Array(data), width: info.width, height: info.height };
}

/** Pixels as the nested [h][w][3] lists of TF Serving's JSON. */
export function nestedPixels(p: Photo): number[][][] {
  return Array.from({ length: p.height }, (_, y) =>
    Array.from({ length: p.width }, (_, x) => {
      const i = (y * p.width + x) * 3;
      return [p.pixels[i]!, p.pixels[i + 1]!, p.pixels[i + 2]!];
    }),
  );
}

/** Largest absolute difference between two flat number lists (Infinity when lengths differ). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function flat(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value as number];
}
