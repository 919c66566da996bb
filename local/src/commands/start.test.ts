import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";

const bin = join(import.meta.dirname, "..", "..", "bin", "boxloop.mjs");
const raccoon = join(import.meta.dirname, "..", "..", "..", "..", "shared", "datasets", "raccoon");

test("boxloop start --images --labels: prints URL and token, makes the campaign, stops cleanly on Ctrl-C", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-start-"));
  const images = join(dir, "images");
  mkdirSync(images);
  for (const name of ["raccoon-1.jpg", "raccoon-2.jpg", "raccoon-3.jpg"])
    symlinkSync(join(raccoon, "images", name), join(images, name));
  const dataDir = join(dir, "data");
  const child = spawn(
    process.execPath,
    [
      bin,
      "start",
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--grpc-port",
      "0",
      "--rest-api-port",
      "0",
      "--images",
      images,
      "--labels",
      "raccoon",
      "--json",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  t.after(() => child.kill("SIGKILL"));
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  assert.ok(line.startsWith("{"), `stdout's first line is not the JSON summary: ${JSON.stringify(line)}\n${stderr}`);
  const { url, adminToken } = JSON.parse(line) as { url: string; adminToken: string };
  assert.equal(statSync(join(dataDir, "admin-token")).mode & 0o777, 0o600);
  const get = async (path: string) =>
    (await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${adminToken}` } })).json() as Promise<{
      campaigns: { id: string; name: string; labels: string[] }[];
    }>;
  const { campaigns } = await get("/campaigns");
  assert.equal(campaigns.length, 1);
  assert.deepEqual(campaigns[0]!.labels, ["raccoon"]);
  assert.equal(
    (await fetch(`${url}/api/v1/campaigns`, { headers: { authorization: "Bearer wrong-token-wrong-token" } })).status,
    401,
  );
  assert.match(stderr, /3 images imported/);
  child.kill("SIGINT");
  assert.equal(await exited, 0);
});

test("boxloop start rejects bad flags with a message and exit code 2", async () => {
  for (const [args, message] of [
    [["--port", "http"], /--port must be a port number/],
    [["--images", "/tmp"], /--images needs --labels/],
    [["--labels", "a"], /--labels goes with --images/],
    [["--nope"], /Unknown option '--nope'/],
  ] as const) {
    const child = spawn(process.execPath, [bin, "start", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(code, 2, stderr);
    assert.match(stderr, message);
  }
});
