// A zod failure at a file boundary, as a FormatError naming the first bad field (`images[3].width`).
import type { z } from "zod";
import { FormatError } from "./dataset.ts";

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : `${out ? "." : ""}${String(key)}`;
  return out;
}

export function formatZodError(error: z.ZodError, file: string): FormatError {
  const issue = error.issues[0]!;
  return new FormatError(issue.message, { file, field: fieldPath(issue.path) });
}
