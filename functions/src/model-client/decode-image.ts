// Encoded JPEG or PNG → RGB pixels, in pure JavaScript: the API runs as an arm64 Lambda, and a native
// decoder (sharp) would need a binary built for it inside the bundle.
import jpeg from "jpeg-js";
import { PNG } from "pngjs";

export interface RgbPixels {
  /** Row-major RGB, 3 bytes per pixel. */
  data: Uint8Array;
  width: number;
  height: number;
}

const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;

function dropAlpha(rgba: Uint8Array, width: number, height: number): RgbPixels {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]!;
    data[j + 1] = rgba[i + 1]!;
    data[j + 2] = rgba[i + 2]!;
  }
  return { data, width, height };
}

export async function decodeToRgb(bytes: Uint8Array): Promise<RgbPixels> {
  if (isJpeg(bytes)) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
    return { data: img.data, width: img.width, height: img.height };
  }
  if (isPng(bytes)) {
    const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    return dropAlpha(img.data, img.width, img.height);
  }
  throw new Error("the image is neither a JPEG nor a PNG");
}
