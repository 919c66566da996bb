// CSV with the header `filename,width,height,class,xmin,ymin,xmax,ymax`, one row per box, as the
// raccoon dataset and the TF OD API tutorials write it. An image without boxes is one row with an
// empty class and empty coordinates. Width and height may be empty: they are then read from the image.
import {
  type Box,
  checkBox,
  checkSize,
  collectCategories,
  type Dataset,
  FormatError,
  type ImageAnnotations,
} from "./dataset.ts";
import { type FileSource, type ImageSource, sizeFromImages } from "./source.ts";
import { decodeUtf8, utf8Chunks } from "./text.ts";

export const csvColumns = ["filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax"] as const;

/** Splits CSV text into rows of fields (RFC 4180 quoting), each with its 1-based line number. */
export function parseCsvRows(text: string, file: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let i = 0;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "")) rows.push({ line: rowLine, fields });
    fields = [];
    field = "";
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
    i++;
  }
  if (quoted) throw new FormatError("a quoted field is not closed", { file, line: rowLine });
  endRow();
  return rows;
}

function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export async function importCsv(source: FileSource, images?: ImageSource): Promise<Dataset> {
  const names = (await source.list()).filter((n) => n.toLowerCase().endsWith(".csv"));
  if (names.length === 0) throw new FormatError("no .csv file found");
  const byName = new Map<string, ImageAnnotations>();
  for (const file of names) {
    const rows = parseCsvRows(decodeUtf8(await source.read(file), file), file);
    const header = rows.shift();
    if (!header) throw new FormatError("the file is empty", { file });
    const index = new Map(header.fields.map((name, i) => [name.trim().toLowerCase(), i]));
    for (const column of csvColumns)
      if (!index.has(column))
        throw new FormatError(`the header lacks the column '${column}' (expected ${csvColumns.join(",")})`, {
          file,
          line: header.line,
        });
    for (const { line, fields } of rows) {
      const get = (column: (typeof csvColumns)[number]) => (fields[index.get(column)!] ?? "").trim();
      const num = (column: (typeof csvColumns)[number]) => {
        const raw = get(column);
        const n = raw === "" ? Number.NaN : Number(raw);
        if (!Number.isFinite(n))
          throw new FormatError(`expected a number, got '${raw}'`, { file, line, field: column });
        return n;
      };
      if (fields.length !== header.fields.length)
        throw new FormatError(`expected ${header.fields.length} fields, got ${fields.length}`, { file, line });
      const fileName = get("filename");
      if (!fileName) throw new FormatError("the file name is empty", { file, line, field: "filename" });
      let image = byName.get(fileName);
      if (!image) {
        let width = 0;
        let height = 0;
        if (get("width") === "" && get("height") === "") {
          ({ width, height } = await sizeFromImages(images, fileName, { file, line, field: "width" }));
        } else {
          width = num("width");
          height = num("height");
          checkSize(width, height, { file, line, field: "width" });
        }
        image = { fileName, width, height, boxes: [] };
        byName.set(fileName, image);
      }
      const label = get("class");
      if (label === "" && ["xmin", "ymin", "xmax", "ymax"].every((c) => get(c as "xmin") === "")) continue;
      if (label === "") throw new FormatError("the class is empty", { file, line, field: "class" });
      const box: Box = { label, xmin: num("xmin"), ymin: num("ymin"), xmax: num("xmax"), ymax: num("ymax") };
      image.boxes.push(checkBox(box, { file, line }));
    }
  }
  const list = [...byName.values()];
  return { categories: collectCategories(list), images: list };
}

export function exportCsv(dataset: Dataset): AsyncIterable<Uint8Array> {
  return utf8Chunks(
    (function* () {
      yield `${csvColumns.join(",")}\n`;
      for (const image of dataset.images) {
        const head = `${csvField(image.fileName)},${image.width},${image.height}`;
        if (image.boxes.length === 0) yield `${head},,,,,\n`;
        for (const b of image.boxes) yield `${head},${csvField(b.label)},${b.xmin},${b.ymin},${b.xmax},${b.ymax}\n`;
      }
    })(),
  );
}
