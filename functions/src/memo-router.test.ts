import assert from "node:assert/strict";
import { test } from "node:test";
import type { Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";
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
