// YOLO: one `<stem>.txt` per image with lines `class cx cy w h`, normalized to the image, class ids
// from 0; class names in `classes.txt`, `*.names` or `data.yaml` (`names:` list or map). The files
// hold no image size or extension, so importing needs the images.
import { parse as parseYaml } from "yaml";
import { type Box, checkBox, type Dataset, FormatError, type ImageAnnotations, stem } from "./dataset.ts";
import type { FileSource, ImageSource } from "./source.ts";
import { isImageName } from "./source.ts";
import { decodeUtf8, utf8Chunks } from "./text.ts";

const classFiles = (name: string) => {
  const base = name.slice(name.lastIndexOf("/") + 1).toLowerCase();
  return base === "classes.txt" || base.endsWith(".names") || base === "data.yaml" || base === "data.yml";
};

async function readClassNames(source: FileSource, names: string[]): Promise<string[]> {
  // classes.txt first, then *.names, then data.yaml (exports write both classes.txt and data.yaml).
  const rank = (n: string) =>
    n.toLowerCase().endsWith("classes.txt") ? 0 : n.toLowerCase().endsWith(".names") ? 1 : 2;
  const all = names.filter(classFiles);
  if (all.length === 0) throw new FormatError("no class names: expected classes.txt, a .names file or data.yaml");
  const best = Math.min(...all.map(rank));
  const candidates = all.filter((n) => rank(n) === best);
  if (candidates.length > 1) throw new FormatError(`several class name files: ${candidates.join(", ")}`);
  const file = candidates[0]!;
  const text = decodeUtf8(await source.read(file), file);
  if (!file.toLowerCase().endsWith(".yaml") && !file.toLowerCase().endsWith(".yml")) {
    const lines = text.split(/\r?\n/).map((l) => l.trim());
    while (lines.length > 0 && lines.at(-1) === "") lines.pop();
    const empty = lines.indexOf("");
    if (empty >= 0) throw new FormatError("an empty class name", { file, line: empty + 1 });
    return lines;
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new FormatError(`invalid YAML: ${(error as Error).message}`, { file });
  }
  const raw = (data as { names?: unknown } | null)?.names;
  if (Array.isArray(raw)) {
    const bad = raw.findIndex((n) => typeof n !== "string" || n === "");
    if (bad >= 0)
      throw new FormatError(`expected a class name, got ${JSON.stringify(raw[bad])}`, { file, field: `names[${bad}]` });
    return raw as string[];
  }
  if (raw && typeof raw === "object") {
    const entries = Object.entries(raw as Record<string, unknown>);
    const out: string[] = [];
    for (const [key, value] of entries) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index >= entries.length || typeof value !== "string" || value === "")
        throw new FormatError(`expected class ids 0..${entries.length - 1} mapped to names`, {
          file,
          field: `names.${key}`,
        });
      out[index] = value;
    }
    return out;
  }
  throw new FormatError("expected `names:` as a list or a map of class names", { file, field: "names" });
}

/** Finds the image of a label file: same stem; among several, the one whose folder matches. */
function imageMatcher(imageNames: string[]) {
  const byStem = new Map<string, string[]>();
  for (const name of imageNames.filter(isImageName)) {
    const key = stem(name);
    byStem.set(key, [...(byStem.get(key) ?? []), name]);
  }
  return (labelFile: string): string => {
    const found = byStem.get(stem(labelFile)) ?? [];
    if (found.length === 1) return found[0]!;
    const base = labelFile.slice(0, labelFile.lastIndexOf("."));
    const wanted = [base, base.replace(/(^|\/)labels\//, "$1images/")];
    const exact = found.filter((n) => wanted.includes(n.slice(0, n.lastIndexOf("."))));
    if (exact.length === 1) return exact[0]!;
    if (found.length === 0)
      throw new FormatError(`no image named ${stem(labelFile)}.* in the images folder`, { file: labelFile });
    throw new FormatError(`several images could be this file's: ${found.join(", ")}`, { file: labelFile });
  };
}

export async function importYolo(source: FileSource, images?: ImageSource): Promise<Dataset> {
  if (!images) throw new FormatError("YOLO labels hold no image sizes: the images folder is needed");
  const names = await source.list();
  const categories = await readClassNames(source, names);
  const labelFiles = names.filter((n) => n.toLowerCase().endsWith(".txt") && !classFiles(n));
  if (labelFiles.length === 0) throw new FormatError("no .txt label file found");
  const findImage = imageMatcher(await images.list());
  const list: ImageAnnotations[] = [];
  for (const file of labelFiles) {
    const fileName = findImage(file);
    const { width, height } = await images.size(fileName);
    const boxes: Box[] = [];
    for (const [i, raw] of decodeUtf8(await source.read(file), file)
      .split(/\r?\n/)
      .entries()) {
      const text = raw.trim();
      if (text === "") continue;
      const line = i + 1;
      const parts = text.split(/\s+/);
      if (parts.length !== 5)
        throw new FormatError(`expected 'class cx cy w h', got ${parts.length} fields`, { file, line });
      const classId = Number(parts[0]);
      if (!Number.isInteger(classId) || classId < 0 || classId >= categories.length)
        throw new FormatError(`class ${parts[0]} is not among the ${categories.length} classes`, {
          file,
          line,
          field: "class",
        });
      const [cx, cy, w, h] = parts.slice(1).map((p, k) => {
        const n = Number(p);
        const field = ["cx", "cy", "w", "h"][k]!;
        if (!Number.isFinite(n)) throw new FormatError(`expected a number, got '${p}'`, { file, line, field });
        if (n < 0 || n > 1.5) throw new FormatError(`expected a normalized value, got ${p}`, { file, line, field });
        return n;
      }) as [number, number, number, number];
      const box = {
        label: categories[classId]!,
        xmin: (cx - w / 2) * width,
        ymin: (cy - h / 2) * height,
        xmax: (cx + w / 2) * width,
        ymax: (cy + h / 2) * height,
      };
      boxes.push(checkBox(box, { file, line }));
    }
    list.push({ fileName, width, height, boxes });
  }
  return { categories, images: list };
}

/** `classes.txt`, `data.yaml` and one `<stem>.txt` per image (empty when it has no boxes). */
export function* exportYoloFiles(dataset: Dataset): Generator<{ path: string; chunks: AsyncIterable<Uint8Array> }> {
  yield { path: "classes.txt", chunks: utf8Chunks([dataset.categories.map((c) => `${c}\n`).join("")]) };
  const names = dataset.categories.map((c, i) => `  ${i}: ${JSON.stringify(c)}\n`).join("");
  yield { path: "data.yaml", chunks: utf8Chunks([`nc: ${dataset.categories.length}\nnames:\n${names}`]) };
  const classId = new Map(dataset.categories.map((name, i) => [name, i]));
  const seen = new Set<string>();
  for (const image of dataset.images) {
    const path = `${stem(image.fileName)}.txt`;
    if (seen.has(path)) throw new FormatError(`two images would both be written to ${path}`, { file: image.fileName });
    seen.add(path);
    const lines = image.boxes.map((b) => {
      const id = classId.get(b.label);
      if (id === undefined)
        throw new FormatError(`the label '${b.label}' is not among the categories`, { file: image.fileName });
      const { width: W, height: H } = image;
      return `${id} ${(b.xmin + b.xmax) / 2 / W} ${(b.ymin + b.ymax) / 2 / H} ${(b.xmax - b.xmin) / W} ${(b.ymax - b.ymin) / H}\n`;
    });
    yield { path, chunks: utf8Chunks([lines.join("")]) };
  }
}
