// Text output in chunks: formats write lines, the stream carries ~64 KB pieces.
import { FormatError } from "./dataset.ts";

const encoder = new TextEncoder();
const chunkSize = 64 * 1024;

/** Joins strings into UTF-8 chunks of about 64 KB, for streaming responses and files. */
export async function* utf8Chunks(parts: AsyncIterable<string> | Iterable<string>): AsyncGenerator<Uint8Array> {
  let pending: string[] = [];
  let length = 0;
  for await (const part of parts) {
    pending.push(part);
    length += part.length;
    if (length >= chunkSize) {
      yield encoder.encode(pending.join(""));
      pending = [];
      length = 0;
    }
  }
  if (length > 0) yield encoder.encode(pending.join(""));
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Bytes as UTF-8 text (a BOM dropped), or a located error. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    const text = decoder.decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    throw new FormatError("not UTF-8 text", { file });
  }
}

/** Collects a stream of chunks into one byte array (tests and small files). */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
