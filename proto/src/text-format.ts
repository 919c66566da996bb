// Protobuf text format (pipeline.config, label_map.pbtxt) with line numbers. @bufbuild/protobuf's
// fromText does the parsing but its errors carry no position, so a small structural pass walks the
// text first: it resolves every field name against the schema, records where each field is set,
// and checks each scalar by handing just that `name: value` to fromText. An error therefore names
// its line and field; the recorded fields let callers warn about settings they ignore.
import type { DescField, DescMessage, MessageShape } from "@bufbuild/protobuf";
import { fromText } from "@bufbuild/protobuf/txtpb";

/** Where a field is set in the text. `path` is dotted, without list indices. */
export interface TextField {
  path: string;
  line: number;
  column: number;
  /** True for a message value (its fields are listed separately). */
  isMessage: boolean;
}

export class TextFormatError extends Error {
  override readonly name = "TextFormatError";
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    /** Dotted path of the field at fault ("" when the error is not inside a field). */
    readonly field: string,
    readonly source = "<text>",
  ) {
    super(`${source}:${line}:${column}: ${field ? `${field}: ` : ""}${reason}`);
  }
}

export interface ParsedText<T> {
  message: T;
  fields: TextField[];
}

/** Parses `text` as `schema`; throws TextFormatError naming the line and field on any error. */
export function parseText<Desc extends DescMessage>(
  schema: Desc,
  text: string,
  source?: string,
): ParsedText<MessageShape<Desc>> {
  const walker = new Walker(text, source);
  walker.body(schema, "", undefined);
  try {
    return { message: fromText(schema, text), fields: walker.fields };
  } catch (e) {
    // The structural pass accepts only what fromText accepts, so this is not expected.
    throw new TextFormatError((e as Error).message, 1, 1, "", source);
  }
}

type TokenType = "word" | "string" | "punct" | "eof";
interface Token {
  type: TokenType;
  text: string;
  start: number;
  end: number;
  line: number;
  column: number;
}

const closers: Record<string, string> = { "{": "}", "<": ">" };

class Walker {
  readonly fields: TextField[] = [];
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private lookahead: Token | undefined;
  /** The field being read, for errors raised while scanning its value. */
  private current = "";

  constructor(
    private readonly text: string,
    private readonly source = "<text>",
  ) {}

  /** Walks fields until `open`'s closer (or end of input for the root). */
  body(desc: DescMessage, path: string, open: Token | undefined): void {
    const close = open ? closers[open.text] : undefined;
    const seen = new Set<number>();
    const oneofs = new Set<string>();
    for (;;) {
      const tok = this.next();
      if (tok.type === "eof") {
        if (open) this.fail(`"${open.text}" opened here is never closed`, open, path);
        return;
      }
      if (tok.type === "punct" && tok.text === close) return;
      if (tok.type !== "word" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(tok.text)) {
        this.fail(
          tok.text === "[" ? "extension fields are not supported" : `expected a field name, got ${describe(tok)}`,
          tok,
          path,
        );
      }
      const fieldPath = path ? `${path}.${tok.text}` : tok.text;
      const field = desc.fields.find((f) => f.name === tok.text);
      if (!field) {
        this.fail(`unknown field "${tok.text}" in ${desc.typeName}${suggest(desc, tok.text)}`, tok, fieldPath);
      }
      if (field.fieldKind !== "list" && field.fieldKind !== "map") {
        if (seen.has(field.number)) this.fail(`field "${field.name}" is set more than once`, tok, fieldPath);
        seen.add(field.number);
        if (field.oneof) {
          if (oneofs.has(field.oneof.name)) {
            this.fail(`only one of ${field.oneof.fields.map((f) => f.name).join(", ")} may be set`, tok, fieldPath);
          }
          oneofs.add(field.oneof.name);
        }
      }
      this.current = fieldPath;
      this.value(desc, field, tok, fieldPath);
      this.current = path;
      const sep = this.peek();
      if (sep.type === "punct" && (sep.text === "," || sep.text === ";")) this.next();
    }
  }

  private value(desc: DescMessage, field: DescField, name: Token, path: string): void {
    const colon = this.peek().type === "punct" && this.peek().text === ":";
    if (colon) this.next();
    const message =
      field.fieldKind === "message"
        ? field.message
        : field.fieldKind === "list" && field.listKind === "message"
          ? field.message
          : undefined;
    if (field.fieldKind === "map") this.fail("map fields are not supported", name, path);
    this.fields.push({ path, line: name.line, column: name.column, isMessage: message !== undefined });
    if (message) {
      const tok = this.next();
      if (tok.text === "[" && field.fieldKind === "list") {
        if (this.peek().text === "]") return void this.next();
        for (;;) {
          this.body(message, path, this.open(this.next(), path));
          const sep = this.next();
          if (sep.text === "]") return;
          if (sep.text !== ",") this.fail(`expected "," or "]" in list, got ${describe(sep)}`, sep, path);
        }
      }
      this.body(message, path, this.open(tok, path));
      return;
    }
    if (!colon) this.fail(`expected ":" after the field name`, name, path);
    let end: number;
    if (this.peek().text === "[" && this.peek().type === "punct") {
      if (field.fieldKind !== "list") this.fail("a list is given for a field that is not repeated", this.peek(), path);
      const open = this.next();
      for (;;) {
        const tok = this.next();
        if (tok.type === "eof") this.fail(`"[" opened here is never closed`, open, path);
        if (tok.text === "]" && tok.type === "punct") {
          end = tok.end;
          break;
        }
      }
    } else {
      let tok = this.next();
      if (tok.type === "word" && tok.text === "-") tok = this.next();
      if (tok.type === "eof" || tok.type === "punct") this.fail(`expected a value, got ${describe(tok)}`, tok, path);
      end = tok.end;
      if (tok.type === "string") {
        while (this.peek().type === "string") end = this.next().end;
      }
    }
    const fragment = this.text.slice(name.start, end);
    try {
      fromText(desc, fragment);
    } catch (e) {
      const reason = (e as Error).message.replace(/^cannot decode field [\w.]+ from text format: /, "");
      this.fail(reason, name, path);
    }
  }

  private open(tok: Token, path: string): Token {
    if (tok.type !== "punct" || !(tok.text in closers)) this.fail(`expected "{", got ${describe(tok)}`, tok, path);
    return tok;
  }

  private fail(reason: string, at: Token, path: string): never {
    throw new TextFormatError(reason, at.line, at.column, path, this.source);
  }

  private peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  private next(): Token {
    const tok = this.peek();
    this.lookahead = undefined;
    return tok;
  }

  private scan(): Token {
    const t = this.text;
    for (;;) {
      const c = t[this.pos];
      if (c === "\n") {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
        this.pos++;
      } else if (c === "#") {
        while (this.pos < t.length && t[this.pos] !== "\n") this.pos++;
      } else {
        break;
      }
    }
    const start = this.pos;
    const at = { start, line: this.line, column: start - this.lineStart + 1 };
    const c = t[this.pos];
    if (c === undefined) return { type: "eof", text: "", end: start, ...at };
    if (c === '"' || c === "'") {
      this.pos++;
      while (this.pos < t.length && t[this.pos] !== c) {
        if (t[this.pos] === "\n") break;
        this.pos += t[this.pos] === "\\" ? 2 : 1;
      }
      if (t[this.pos] !== c) {
        throw new TextFormatError("unterminated string", at.line, at.column, this.current, this.source);
      }
      this.pos++;
      return { type: "string", text: t.slice(start, this.pos), end: this.pos, ...at };
    }
    if ("{}<>[]:,;".includes(c)) {
      this.pos++;
      return { type: "punct", text: c, end: this.pos, ...at };
    }
    while (this.pos < t.length && /[A-Za-z0-9_.+-]/.test(t[this.pos]!)) this.pos++;
    if (this.pos === start) {
      throw new TextFormatError(`unexpected character "${c}"`, at.line, at.column, this.current, this.source);
    }
    return { type: "word", text: t.slice(start, this.pos), end: this.pos, ...at };
  }
}

function describe(tok: Token): string {
  return tok.type === "eof" ? "end of input" : tok.type === "string" ? "a string" : `"${tok.text}"`;
}

/** A hint for a misspelt field name: the known name with the smallest edit distance, if close. */
function suggest(desc: DescMessage, name: string): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const f of desc.fields) {
    const d = editDistance(name, f.name);
    if (d < bestDistance) {
      best = f.name;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
