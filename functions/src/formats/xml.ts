// The small XML subset annotation files use: elements, attributes, text, comments, CDATA, the five
// entities and character references. Enough for Pascal VOC; errors carry the line.
import { FormatError } from "./dataset.ts";

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
}

const entities: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(s: string, file: string, line: number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (_, ref: string) => {
    if (ref.startsWith("#x")) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    const named = entities[ref];
    if (named === undefined) throw new FormatError(`unknown entity &${ref};`, { file, line });
    return named;
  });
}

export function parseXml(text: string, file: string): XmlElement {
  let i = 0;
  let line = 1;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (text.charCodeAt(k) === 10) line++;
    i = to;
  };
  const skipTo = (marker: string, what: string) => {
    const end = text.indexOf(marker, i);
    if (end < 0) throw new FormatError(`${what} is not closed`, { file, line });
    const body = text.slice(i, end);
    advance(end + marker.length);
    return body;
  };
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (stack.length > 0) stack.at(-1)!.text += decodeEntities(chunk, file, line);
    else if (chunk.trim() !== "") throw new FormatError("text outside the root element", { file, line });
    if (lt < 0) {
      advance(text.length);
      break;
    }
    advance(lt);
    if (text.startsWith("<!--", i)) skipTo("-->", "a comment");
    else if (text.startsWith("<![CDATA[", i)) {
      advance(i + 9);
      const body = skipTo("]]>", "a CDATA section");
      if (stack.length === 0) throw new FormatError("CDATA outside the root element", { file, line });
      stack.at(-1)!.text += body;
    } else if (text.startsWith("<?", i)) skipTo("?>", "a processing instruction");
    else if (text.startsWith("<!", i)) skipTo(">", "a declaration");
    else if (text.startsWith("</", i)) {
      const tagLine = line;
      const name = skipTo(">", "a closing tag").slice(2).trim();
      const open = stack.pop();
      if (!open) throw new FormatError(`</${name}> closes nothing`, { file, line: tagLine });
      if (open.name !== name)
        throw new FormatError(`</${name}> closes <${open.name}> opened on line ${open.line}`, { file, line: tagLine });
    } else {
      const tagLine = line;
      const match = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(
        text.slice(i, i + 4096),
      );
      if (!match) throw new FormatError("a malformed tag", { file, line: tagLine });
      const attributes: Record<string, string> = {};
      for (const a of match[2]!.matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g))
        attributes[a[1]!] = decodeEntities(a[2] ?? a[3] ?? "", file, tagLine);
      const element: XmlElement = { name: match[1]!, attributes, children: [], text: "", line: tagLine };
      advance(i + match[0].length);
      if (stack.length > 0) stack.at(-1)!.children.push(element);
      else if (root) throw new FormatError("a second root element", { file, line: tagLine });
      else root = element;
      if (match[3] !== "/") stack.push(element);
    }
  }
  if (stack.length > 0)
    throw new FormatError(`<${stack.at(-1)!.name}> is not closed`, { file, line: stack.at(-1)!.line });
  if (!root) throw new FormatError("no XML element", { file, line });
  return root;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos" }[c]};`);
}
