import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
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

test("local: writes are read back at once, reach their files, and leave no temporary file", async () => {
  const { etag } = await store.put("t/a.json", "x");
  assert.equal((await store.head("t/a.json"))?.etag, etag, "read back before the file is written");
  await assert.rejects(store.put("t/a.json", "y", { ifNoneMatch: "*" }), isPreconditionFailed);
  await store.flushed();
  assert.equal(readFileSync(join(root, "data", "t", "a.json"), "utf8"), "x");
  assert.equal((await new LocalStore(join(root, "data")).head("t/a.json"))?.etag, etag, "same ETag from the file");
  assert.deepEqual(readdirSync(join(root, "data", ".tmp")), []);
});
