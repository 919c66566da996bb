// Starts moto's S3 server (from the referee's virtual environment) on an ephemeral loopback port.
// moto 5.2.5 enforces `If-None-Match: *` and `If-Match` on PutObject (412 PreconditionFailed).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { referee } from "./referee.ts";

export interface Moto {
  endpoint: string;
  close(): void;
}

export async function startMoto(): Promise<Moto> {
  const bin = join(resolve(referee().python, ".."), "moto_server");
  if (!existsSync(bin)) throw new Error(`moto_server missing at ${bin}`);
  const child = spawn(bin, ["-H", "127.0.0.1", "-p", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  const endpoint = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error("moto did not start in 30 s")), 30_000);
    const watch = (stream: NodeJS.ReadableStream) =>
      createInterface({ input: stream }).on("line", (line) => {
        const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          done(match[1]!);
        }
      });
    watch(child.stdout);
    watch(child.stderr);
    child.once("exit", (code) => fail(new Error(`moto exited with ${code}`)));
  });
  return { endpoint, close: () => child.kill() };
}
