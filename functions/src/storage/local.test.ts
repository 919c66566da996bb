import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Hono } from "hono";
import { blobRoutes } from "./blob-routes.ts";
import { storeContract } from "./contract.ts";
import { LocalStore } from "./local.ts";
import { isPreconditionFailed } from "./port.ts";

const root = mkdtempSync(join(tmpdir(), "boxloop-local-store-"));
after(() => rmSync(root, { recursive: true, force: true }));
const store = new LocalStore(join(root, "data"));
const app = new Hono().route("/api/v1/blobs", blobRoutes(store));

storeContract("local", () => store, {
  conditional: true,
  checksSignatures: true,
  fetch: async (url, init) => app.request(new URL(url, "http://local").toString(), init),
});

test("local: no temporary files stay behind, and a fresh store clears a crash's leftovers", async () => {
  await store.put("t/a.json", "x");
  await assert.rejects(store.put("t/a.json", "y", { ifNoneMatch: "*" }), isPreconditionFailed);
  assert.deepEqual(readdirSync(join(root, "data", ".tmp")), []);
});

test("local: create-only is exclusive across processes", async () => {
  const script = `
    import { LocalStore } from ${JSON.stringify(join(import.meta.dirname, "local.ts"))};
    const s = new LocalStore(process.argv[1]);
    const won = [];
    for (let i = 0; i < 40; i++) {
      try { await s.put("cross/" + i + ".json", String(process.pid), { ifNoneMatch: "*" }); won.push(i); } catch (e) {
        if (e.code !== "PreconditionFailed") throw e;
      }
      const c = await s.get("cross/counter.json");
      for (;;) {
        const cur = await s.get("cross/counter.json");
        try { await s.put("cross/counter.json", String(Number(new TextDecoder().decode(cur.body)) + 1), { ifMatch: cur.etag }); break; }
        catch (e) { if (e.code !== "PreconditionFailed") throw e; }
      }
    }
    console.log(JSON.stringify(won));`;
  const dir = join(root, "cross-process");
  const s = new LocalStore(dir);
  await s.put("cross/counter.json", "0");
  const runs = await Promise.all(
    [1, 2, 3].map(
      () =>
        new Promise<number[]>((resolve, reject) => {
          const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, dir], {
            stdio: ["ignore", "pipe", "inherit"],
          });
          let out = "";
          child.stdout.on("data", (d) => {
            out += d;
          });
          child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`))));
        }),
    ),
  );
  const all = runs.flat().sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 40 }, (_, i) => i),
    "each key created by exactly one process",
  );
  assert.equal(new TextDecoder().decode((await s.get("cross/counter.json"))!.body), "120", "no lost CAS increment");
});
