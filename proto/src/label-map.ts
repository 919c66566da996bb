// label_map.pbtxt (TF Object Detection API StringIntLabelMap): parse, check and write.
import { readFile } from "node:fs/promises";
import { create, isFieldSet } from "@bufbuild/protobuf";
import { toText } from "@bufbuild/protobuf/txtpb";
import {
  StringIntLabelMapItemSchema,
  StringIntLabelMapSchema,
} from "./gen/object_detection/protos/string_int_label_map_pb.ts";
import type { ConfigWarning } from "./pipeline-config.ts";
import { parseText, TextFormatError } from "./text-format.ts";

export interface Label {
  /** Class id, starting at 1 (0 is the background). */
  id: number;
  name: string;
  /** Human-readable name; `name` when the file gives none. */
  displayName: string;
}

export interface ParsedLabelMap {
  /** Sorted by id. */
  labels: Label[];
  warnings: ConfigWarning[];
}

const used = new Set(["item", "item.id", "item.name", "item.display_name"]);

/**
 * Parses label map text. Throws TextFormatError naming the line and field for a syntax error, an
 * unknown field, an item without id or name, an id below 1, or a repeated id or name.
 */
export function parseLabelMap(text: string, source = "label_map.pbtxt"): ParsedLabelMap {
  const { message, fields } = parseText(StringIntLabelMapSchema, text, source);
  const itemLines = fields.filter((f) => f.path === "item").map((f) => f.line);
  const labels: Label[] = [];
  const ids = new Map<number, number>();
  const names = new Map<string, number>();
  message.item.forEach((item, i) => {
    const line = itemLines[i]!;
    const fail = (field: string, reason: string): never => {
      throw new TextFormatError(`item ${i + 1}: ${reason}`, line, 1, field, source);
    };
    if (!isFieldSet(item, StringIntLabelMapItemSchema.field.id)) fail("item.id", "id is missing");
    if (!item.name) fail("item.name", "name is missing");
    const { id, name } = item;
    if (id < 1) fail("item.id", `id ${id} is not allowed; ids start at 1 (0 is the background)`);
    if (ids.has(id)) fail("item.id", `id ${id} is already used by the item on line ${ids.get(id)}`);
    if (names.has(name)) fail("item.name", `name "${name}" is already used by the item on line ${names.get(name)}`);
    ids.set(id, line);
    names.set(name, line);
    labels.push({ id, name, displayName: item.displayName || name });
  });
  const warnings = fields
    .filter((f) => !used.has(f.path))
    .map((f) => ({ field: f.path, line: f.line, message: `line ${f.line}: ${f.path} is not used by boxloop` }));
  return { labels: labels.sort((a, b) => a.id - b.id), warnings };
}

export async function readLabelMap(path: string): Promise<ParsedLabelMap> {
  return parseLabelMap(await readFile(path, "utf8"), path);
}

/** Writes labels as label_map.pbtxt text; display_name only where it differs from the name. */
export function writeLabelMap(labels: readonly Label[]): string {
  const message = create(StringIntLabelMapSchema, {
    item: [...labels]
      .sort((a, b) => a.id - b.id)
      .map((l) => ({ id: l.id, name: l.name, ...(l.displayName !== l.name ? { displayName: l.displayName } : {}) })),
  });
  return toText(StringIntLabelMapSchema, message);
}
