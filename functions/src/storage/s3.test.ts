// The S3 adapter against s3rver (npm). s3rver ignores conditional writes, so only the unconditional
// cases run here; test/interop/s3-moto.test.ts runs the whole contract against moto.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before } from "node:test";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { storeContract } from "./contract.ts";
import { S3Store } from "./s3.ts";

const dir = mkdtempSync(join(tmpdir(), "boxloop-s3rver-"));
let child: ChildProcess | undefined;
let store: S3Store | undefined;

before(async () => {
  child = spawn(
    process.execPath,
    ["--openssl-legacy-provider", "--import", "tsx", join(import.meta.dirname, "s3rver-child.ts"), dir],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child!.stdout! }).once("line", resolve);
    child!.once("exit", (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  store = new S3Store({
    bucket: "boxloop-data",
    clientConfig: {
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    },
  });
  await store.client.send(new CreateBucketCommand({ Bucket: "boxloop-data" }));
});
after(() => {
  store?.client.destroy();
  child?.kill();
  rmSync(dir, { recursive: true, force: true });
});

storeContract("s3 (s3rver)", () => store!, { conditional: false, fetch: (url, init) => fetch(url, init) });
