// Ids that appear in URLs and storage keys: campaigns, images, annotators, runs. A safe key segment,
// so a path can never climb out of its folder (`..`, `/` and a leading dot are refused).
import { z } from "@hono/zod-openapi";

export const idPattern = /^[A-Za-z0-9_][A-Za-z0-9_@=:-]*(?:\.[A-Za-z0-9_@=:-]+)*$/;

export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(idPattern, "letters, digits and _@=:-, dots only between them")
  .refine((s) => !s.includes(".."), "no '..'");

export function isId(value: string): boolean {
  return Id.safeParse(value).success;
}
