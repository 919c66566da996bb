import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { hmacSha256 } from "./hmac.ts";

test("gives node's HMAC-SHA256 for short, block-sized and long keys and any message", () => {
  const keys = ["", "k", "0123456789abcdef".repeat(4), "x".repeat(65), "é".repeat(40), "key".repeat(100)];
  const messages = ["", "GET\ncampaigns/c/images/i.png\n1700000000", "ü€😀".repeat(50), "m".repeat(1000)];
  for (const key of keys)
    for (const message of messages)
      assert.equal(
        hmacSha256(key)(message),
        createHmac("sha256", key).update(message).digest("hex"),
        `${key}/${message}`,
      );
});

test("RFC 4231 test case 2", () => {
  assert.equal(
    hmacSha256("Jefe")("what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

test("a function is reusable: each call's digest depends only on its message", () => {
  const sign = hmacSha256("secret");
  const first = sign("a");
  sign("b".repeat(300));
  assert.equal(sign("a"), first);
});
