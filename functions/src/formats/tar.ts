// A ustar archive as a stream: how a folder format (VOC, YOLO) leaves the API as one response.
// Each file is buffered (they are small: one per image); the archive never is.
const encoder = new TextEncoder();

function header(path: string, size: number, mtime: number): Uint8Array {
  const h = new Uint8Array(512);
  const write = (offset: number, length: number, value: string) =>
    h.set(encoder.encode(value).subarray(0, length), offset);
  const octal = (offset: number, length: number, value: number) =>
    write(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
  let name = path;
  let prefix = "";
  if (encoder.encode(path).length > 100) {
    const cut = path.lastIndexOf("/", 155);
    if (cut <= 0 || encoder.encode(path.slice(cut + 1)).length > 100) throw new Error(`path too long for tar: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  write(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, mtime);
  h.fill(0x20, 148, 156); // the checksum field counts as spaces while summing
  write(156, 1, "0");
  write(257, 6, "ustar\0");
  write(263, 2, "00");
  write(345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  write(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** The archive in chunks of about 64 KB (small files are packed together). */
export async function* tarStream(
  files:
    | AsyncIterable<{ path: string; chunks: AsyncIterable<Uint8Array> }>
    | Iterable<{ path: string; chunks: AsyncIterable<Uint8Array> }>,
): AsyncGenerator<Uint8Array> {
  const mtime = Math.floor(Date.now() / 1000);
  let pending: Uint8Array[] = [];
  let pendingSize = 0;
  const push = (part: Uint8Array) => {
    pending.push(part);
    pendingSize += part.length;
  };
  const take = () => {
    const out = Buffer.concat(pending, pendingSize);
    pending = [];
    pendingSize = 0;
    return out;
  };
  for await (const file of files) {
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of file.chunks) {
      parts.push(chunk);
      size += chunk.length;
    }
    push(header(file.path, size, mtime));
    for (const part of parts) push(part);
    if (size % 512) push(new Uint8Array(512 - (size % 512)));
    if (pendingSize >= 64 * 1024) yield take();
  }
  push(new Uint8Array(1024));
  yield take();
}
