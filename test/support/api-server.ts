// Runs the API (functions/src/server.ts) as its own process on an ephemeral loopback port, so tests
// can load it over HTTP and kill it.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const serverScript = join(import.meta.dirname, "..", "..", "functions", "src", "server.ts");

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startApi(options: {
  dataDir: string;
  adminToken: string;
  importRoot?: string;
  secret?: string;
}): Promise<ApiProcess> {
  const args = [
    "--import",
    "tsx",
    serverScript,
    "--data-dir",
    options.dataDir,
    "--admin-token",
    options.adminToken,
    "--port",
    "0",
  ];
  if (options.importRoot !== undefined) args.push("--import-root", options.importRoot);
  if (options.secret !== undefined) args.push("--secret", options.secret);
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the API did not start in 30 s")), 30_000);
    createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`the API exited with ${code}`)));
  });
  return {
    url,
    child,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** A JSON client for one bearer token. */
export function client(url: string, token: string) {
  return async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string; etag: string | null }> => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text(), etag: res.headers.get("etag") };
  };
}
