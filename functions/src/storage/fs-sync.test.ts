import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { syncFileSystem } from "./fs-sync.ts";

const dir = mkdtempSync(join(tmpdir(), "boxloop-fs-sync-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("syncs in order through one shell; a failed sync rejects with its path and the next still works", async () => {
  const missing = join(dir, "missing");
  const results = await Promise.allSettled([syncFileSystem(dir), syncFileSystem(missing), syncFileSystem(dir)]);
  assert.deepEqual(
    results.map((r) => r.status),
    ["fulfilled", "rejected", "fulfilled"],
  );
  assert.match(
    String((results[1] as PromiseRejectedResult).reason),
    /sync -f .*missing exited with status [1-9]: .*No such file/,
  );
  await syncFileSystem(dir);
  await assert.rejects(syncFileSystem(`${dir}\nx`), /line break/);
});

test("an idle shell keeps no process alive", () => {
  const script = `import { syncFileSystem } from ${JSON.stringify(new URL("./fs-sync.ts", import.meta.url).href)};
await syncFileSystem(${JSON.stringify(dir)});
console.log("synced");`;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    timeout: 20_000,
    encoding: "utf8",
  });
  assert.equal(out.trim(), "synced");
});
