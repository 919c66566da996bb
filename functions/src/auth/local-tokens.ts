// Local bearer tokens: one admin token (given to `boxloop start`), and tokens the admin issues,
// stored as `auth/tokens/<sha256(token)>.json` so the store never holds a usable token.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "@hono/zod-openapi";
import { layout } from "../layout.ts";
import { getJson, type Store } from "../storage/port.ts";
import type { Authenticator, Principal } from "./port.ts";

const Stored = z.object({ subject: z.string(), role: z.enum(["admin", "annotator"]) });

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function localTokens(store: Store, adminToken: string): Authenticator {
  const admin = Buffer.from(sha256(adminToken), "hex");
  // Tokens already verified, by the token itself: a map lookup instead of a hash per request.
  const known = new Map<string, Principal>();
  const remember = (token: string, principal: Principal) => {
    if (known.size >= 10_000) known.clear();
    known.set(token, principal);
    return principal;
  };
  return {
    async verify(token) {
      if (token.length < 16 || token.length > 512) return undefined;
      const hit = known.get(token);
      if (hit !== undefined) return hit;
      const hash = sha256(token);
      if (timingSafeEqual(Buffer.from(hash, "hex"), admin)) return remember(token, { subject: "admin", role: "admin" });
      const found = await getJson(store, layout.token(hash));
      if (found === undefined) return undefined;
      return remember(token, Stored.parse(found.value));
    },
    async issue(principal) {
      const token = `bxl_${randomBytes(24).toString("base64url")}`;
      await store.put(layout.token(sha256(token)), JSON.stringify(principal), { ifNoneMatch: "*" });
      return token;
    },
  };
}
