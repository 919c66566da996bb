// The API process is killed (SIGKILL) while 20 annotators write, then restarted on the same data:
// every answer acknowledged before the kill is there byte for byte, and no file is half-written.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, test } from "node:test";
import { png } from "@boxloop/functions/testing/png";
import { type ApiProcess, client, startApi } from "../support/api-server.ts";

const dir = mkdtempSync(join(tmpdir(), "boxloop-crash-"));
const adminToken = "crash-admin-token-0123456789abcdef";
let api: ApiProcess | undefined;
after(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function walkFiles(root: string, skip: Set<string>): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...walkFiles(path, skip));
    else out.push(path);
  }
  return out;
}

test("SIGKILL while 20 annotators write: acknowledged answers survive byte for byte, nothing half-written", async () => {
  const images = join(dir, "images");
  mkdirSync(images);
  for (let i = 0; i < 600; i++) writeFileSync(join(images, `img-${i}.png`), png(40, 30, i + 1));
  const dataDir = join(dir, "store");
  api = await startApi({ dataDir, adminToken, importRoot: images, secret: "crash-secret" });
  const admin = client(api.url, adminToken);
  const annotators = Array.from({ length: 20 }, (_, i) => `w${i}`);
  assert.equal((await admin("POST", "/campaigns", { id: "crash", name: "Crash", labels: ["a"] })).status, 201);
  const imported = JSON.parse(
    (await admin("POST", "/campaigns/crash/images:import", { source: "folder", path: images })).text,
  );
  assert.equal(imported.imported, 600);

  const acked: { iid: string; annotator: string; text: string }[] = [];
  let stop = false;
  const workers = annotators.map(async (annotator, n) => {
    const call = client(api!.url, adminToken);
    let i = 0;
    while (!stop) {
      try {
        const next = await call("POST", "/campaigns/crash/tasks:next", { annotator });
        if (next.status !== 200) return;
        const iid = JSON.parse(next.text).image.id as string;
        const body = {
          answer: "accept",
          boxes: Array.from({ length: 1 + (i % 4) }, (_, k) => ({
            label: "a",
            x: k,
            y: n % 20,
            width: 3 + k,
            height: 4,
          })),
          modelVersion: null,
          durationMs: ++i,
        };
        const put = await call("PUT", `/campaigns/crash/images/${iid}/annotations/${annotator}`, body);
        if (put.status === 200) acked.push({ iid, annotator, text: put.text });
      } catch {
        return; // the server is gone
      }
    }
  });
  // Kill once enough answers are in flight and acknowledged.
  while (acked.length < 150) await new Promise((resolve) => setTimeout(resolve, 20));
  await api.stop("SIGKILL");
  stop = true;
  await Promise.all(workers);
  const before = acked.length;
  console.log(`# ${before} answers acknowledged before SIGKILL`);

  api = await startApi({ dataDir, adminToken, secret: "crash-secret" });
  for (const { iid, annotator, text } of acked) {
    const file = join(dataDir, "data", "campaigns", "crash", "annotations", iid, `${annotator}.json`);
    assert.equal(readFileSync(file, "utf8"), text, `${iid}/${annotator} survives byte for byte`);
  }
  // No half-written object: every JSON object parses, every image is whole.
  const files = walkFiles(join(dataDir, "data"), new Set([".locks", ".journal"]));
  let checked = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    if (file.endsWith(".json")) {
      JSON.parse(bytes.toString("utf8"));
      checked++;
    } else if (file.endsWith(".png"))
      assert.ok(bytes.length > 60 && bytes.subarray(-8, -4).toString() === "IEND", file);
  }
  assert.ok(checked >= 600 + before);
  const temporary = files.filter((file) => basename(file).startsWith("."));
  assert.deepEqual(temporary, [], "the restart replaced the temporary files a crash left");
  // And the restarted API carries on: nobody is handed an image they already answered.
  const call = client(api.url, adminToken);
  const answered = new Set(acked.filter((a) => a.annotator === "w0").map((a) => a.iid));
  const next = await call("POST", "/campaigns/crash/tasks:next", { annotator: "w0" });
  assert.equal(next.status, 200, next.text);
  assert.ok(!answered.has(JSON.parse(next.text).image.id));
});
