// Where annotations and images are read from: a local path, or files held in memory (an upload).
// Readers list and read lazily, so an importer opens only the files it needs.
import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import { imageSize } from "image-size";
import { imageSizeFromFile } from "image-size/fromFile";
import { FormatError } from "./dataset.ts";

/** A set of files under one root, named by relative paths with `/`. */
export interface FileSource {
  list(): Promise<string[]>;
  read(path: string): Promise<Uint8Array>;
  /** A large file in chunks (TFRecord), when the source can stream; else `read` is used. */
  stream?(path: string): AsyncIterable<Uint8Array>;
}

/** Where images are: listed to find a label file's image by its stem, read for sizes and TFRecord bytes. */
export interface ImageSource extends FileSource {
  size(fileName: string): Promise<{ width: number; height: number }>;
}

export const imageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"];

export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return imageExtensions.some((ext) => lower.endsWith(ext));
}

/** A file (then the source holds that one file) or a folder (all files below it). */
export async function sourceFromPath(path: string): Promise<FileSource> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new FormatError("no such file or folder", { file: path });
  if (info.isFile()) {
    const name = basename(path);
    const dir = dirname(path);
    return {
      list: async () => [name],
      read: async (p) => readFile(join(dir, p)),
      stream: (p) => createReadStream(join(dir, p), { highWaterMark: 1 << 20 }),
    };
  }
  return {
    list: async () => {
      const entries = await readdir(path, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => relative(path, join(e.parentPath, e.name)).split(sep).join("/"))
        .sort();
    },
    read: async (p) => readFile(join(path, p)),
    stream: (p) => createReadStream(join(path, p), { highWaterMark: 1 << 20 }),
  };
}

/** Files held in memory, e.g. an uploaded body: `sourceFromFiles({ "annotations.json": bytes })`. */
export function sourceFromFiles(files: Record<string, Uint8Array>): FileSource {
  return {
    list: async () => Object.keys(files).sort(),
    read: async (p) => {
      const data = files[p];
      if (!data) throw new FormatError("no such file", { file: p });
      return data;
    },
  };
}

/** Width and height from an image's header. */
export function sizeOfImage(bytes: Uint8Array, fileName: string): { width: number; height: number } {
  try {
    const { width, height } = imageSize(bytes);
    if (!width || !height) throw new Error("no size in the header");
    return { width, height };
  } catch (error) {
    throw new FormatError(`cannot read the image size: ${(error as Error).message}`, { file: fileName });
  }
}

/** An ImageSource over a FileSource (sizes read from headers and cached; `readSize` reads only the header). */
export function imageSource(
  files: FileSource,
  readSize?: (fileName: string) => Promise<{ width: number; height: number }>,
): ImageSource {
  const sizes = new Map<string, { width: number; height: number }>();
  return {
    list: files.list,
    read: async (p) => {
      try {
        return await files.read(p);
      } catch (error) {
        if (error instanceof FormatError) throw error;
        throw new FormatError(`cannot read the image: ${(error as Error).message}`, { file: p });
      }
    },
    async size(p) {
      let size = sizes.get(p);
      if (!size) {
        size = readSize ? await readSize(p) : sizeOfImage(await this.read(p), p);
        sizes.set(p, size);
      }
      return size;
    },
  };
}

/** The images in a local folder. */
export async function imagesFromDir(dir: string): Promise<ImageSource> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new FormatError("the images folder does not exist", { file: dir });
  return imageSource(await sourceFromPath(dir), async (p) => {
    try {
      const { width, height } = await imageSizeFromFile(join(dir, p));
      if (!width || !height) throw new Error("no size in the header");
      return { width, height };
    } catch (error) {
      throw new FormatError(`cannot read the image size: ${(error as Error).message}`, { file: p });
    }
  });
}

/** An image's size from its file, for formats that lack it (YOLO) or left it out. */
export async function sizeFromImages(
  images: ImageSource | undefined,
  fileName: string,
  where: { file?: string; line?: number; field?: string },
): Promise<{ width: number; height: number }> {
  if (!images) throw new FormatError(`the size of ${fileName} is missing and no images folder was given`, where);
  return images.size(fileName);
}
