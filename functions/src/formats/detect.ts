// Which format a path holds, from its name or, for a folder, from the files inside.
import { readdir, stat } from "node:fs/promises";
import { type Format, FormatError } from "./dataset.ts";

const tfrecordName = /\.(tfrecords?|records?)(-\d+-of-\d+)?$/i;

/** The format of one annotation file by its name, or undefined. */
export function formatOfFile(name: string): Format | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith(".json")) return "coco";
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".xml")) return "voc";
  if (tfrecordName.test(lower)) return "tfrecord";
  const base = lower.slice(lower.lastIndexOf("/") + 1);
  if (base === "classes.txt" || base.endsWith(".names") || base === "data.yaml" || base === "data.yml") return "yolo";
  return undefined;
}

/** Detects the format of `path`: a file by its extension, a folder by the one kind of file it holds. */
export async function detectFormat(path: string): Promise<Format> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new FormatError("no such file or folder", { file: path });
  if (info.isFile()) {
    const format = formatOfFile(path);
    if (!format)
      throw new FormatError(
        "cannot tell the format from the name (.json coco, .xml voc, .csv, .record/.tfrecord, classes.txt or data.yaml yolo)",
        { file: path },
      );
    return format;
  }
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  const found = new Set<Format>();
  let txt = 0;
  for (const e of entries) {
    if (!e.isFile()) continue;
    const format = formatOfFile(e.name);
    if (format) found.add(format);
    else if (e.name.toLowerCase().endsWith(".txt")) txt++;
  }
  if (found.size === 1) return [...found][0]!;
  if (found.size === 0)
    throw new FormatError(
      txt > 0
        ? "found .txt files but no classes.txt, .names or data.yaml for YOLO"
        : "no annotation files (.json, .xml, .csv, .record, YOLO .txt with classes.txt)",
      { file: path },
    );
  throw new FormatError(`the folder holds several formats (${[...found].join(", ")}): give a more specific path`, {
    file: path,
  });
}
