import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";
import { createApp } from "./app.ts";
import { localDeps } from "./deps-local.ts";
import { MemoRouter } from "./memo-router.ts";

const routes: [string, string, string][] = [
  ["ALL", "/api/v1/*", "auth"],
  ["POST", "/api/v1/campaigns/:cid/tasks:next", "next"],
  ["PUT", "/api/v1/campaigns/:cid/images/:iid/annotations/:annotator", "answer"],
  ["GET", "/api/v1/campaigns/:cid", "campaign"],
];

type Handler = [string, unknown];

/** Handler names and decoded params of a match, comparable across routers. */
function described(router: Router<Handler>, method: string, path: string) {
  const [handlers, stash] = router.match(method, path);
  return handlers.map(([[name], params]) => [
    name,
    Object.fromEntries(Object.entries(params).map(([k, v]) => [k, stash === undefined ? v : stash[v as number]])),
  ]);
}

test("memo router: the trie router's matches, remembered, and forgotten when routes change or the limit is reached", () => {
  const memo = new MemoRouter<Handler>(2);
  const trie = new TrieRouter<Handler>();
  for (const [method, path, name] of routes) {
    memo.add(method, path, [name, undefined]);
    trie.add(method, path, [name, undefined]);
  }
  const requests: [string, string][] = [
    ["POST", "/api/v1/campaigns/c1/tasks:next"],
    ["POST", "/api/v1/campaigns/c2/tasks:next"],
    ["PUT", "/api/v1/campaigns/c1/images/i1/annotations/ann"],
    ["GET", "/api/v1/campaigns/c1"],
    ["GET", "/api/v1/campaigns/c1/tasks:next"],
    ["POST", "/api/v1/campaigns/c1/tasks:next"],
  ];
  for (let round = 0; round < 2; round++)
    for (const [method, path] of requests)
      assert.deepEqual(described(memo, method, path), described(trie, method, path), `${method} ${path}`);
  assert.equal(memo.match("POST", "/x/y")[0].length, 0);
  memo.add("POST", "/x/:id", ["late", undefined]);
  assert.deepEqual(described(memo, "POST", "/x/y"), [["late", { id: "y" }]]);
});

test("memo router: a path is remembered the second time it comes, not the first", () => {
  const memo = new MemoRouter<Handler>(10);
  for (const [method, path, name] of routes) memo.add(method, path, [name, undefined]);
  const path = "/api/v1/campaigns/c1/images/i1/annotations/ann";
  const [first, second, third] = [memo.match("PUT", path), memo.match("PUT", path), memo.match("PUT", path)];
  assert.notEqual(first, second, "the first match is not kept");
  assert.equal(third, second, "the second is");
  assert.deepEqual(described(memo, "PUT", path), [
    ["auth", {}],
    ["answer", { cid: "c1", iid: "i1", annotator: "ann" }],
  ]);
});

test("memo router: on every route of the app, the same handlers and params as the trie router", async () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-memo-router-"));
  const deps = localDeps({ dataDir: dir, adminToken: "memo-router-admin-token" });
  try {
    const memo = new MemoRouter<Handler>();
    const trie = new TrieRouter<Handler>();
    for (const [i, { method, path }] of createApp(deps).routes.entries()) {
      memo.add(method, path, [`${i} ${method} ${path}`, undefined]);
      trie.add(method, path, [`${i} ${method} ${path}`, undefined]);
    }
    const concrete = createApp(deps).routes.map(({ path }) =>
      path.replace(/\/:(\w+)/g, "/$1-value").replace(/\*$/, "some/file.png"),
    );
    // Verbs after a colon are literal: near misses match no route of their own.
    const nearMisses = concrete.flatMap((path) => (path.includes(":") ? [path.replace(/:(\w+)$/, ":$1x")] : []));
    assert.ok(concrete.some((path) => path.endsWith("/tasks:next")));
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"])
      for (const path of [...concrete, ...nearMisses])
        for (let round = 0; round < 2; round++)
          assert.deepEqual(described(memo, method, path), described(trie, method, path), `${method} ${path}`);
  } finally {
    await deps.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
