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
  const cache = new Map<string, Principal>();
  return {
    async verify(token) {
      if (token.length < 16 || token.length > 512) return undefined;
      const hash = sha256(token);
      if (timingSafeEqual(Buffer.from(hash, "hex"), admin)) return { subject: "admin", role: "admin" };
      const cached = cache.get(hash);
      if (cached !== undefined) return cached;
      const found = await getJson(store, layout.token(hash));
      if (found === undefined) return undefined;
      const principal = Stored.parse(found.value);
      cache.set(hash, principal);
      return principal;
    },
    async issue(principal) {
      const token = `bxl_${randomBytes(24).toString("base64url")}`;
      await store.put(layout.token(sha256(token)), JSON.stringify(principal), { ifNoneMatch: "*" });
      return token;
    },
  };
}
