// Encoded images (JPEG/PNG bytes, from {"b64": …} or a DT_STRING tensor) for a uint8 image input:
// decoded to RGB with sharp, as a model exported with an encoded-image signature would decode them.
import sharp from "sharp";
import type { HostTensor } from "./host-tensor.ts";
import { invalidArgument } from "./serving-error.ts";

const jpeg = [0xff, 0xd8, 0xff];
const png = [0x89, 0x50, 0x4e, 0x47];
const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

async function decodeOne(bytes: Uint8Array): Promise<{ data: Uint8Array; width: number; height: number }> {
  if (!startsWith(bytes, jpeg) && !startsWith(bytes, png)) {
    throw invalidArgument("Unknown image file format. One of JPEG, PNG required.");
  }
  try {
    const { data, info } = await sharp(bytes).removeAlpha().toColourspace("srgb").raw().toBuffer({
      resolveWithObject: true,
    });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (error) {
    throw invalidArgument(`Invalid image data: ${(error as Error).message}`);
  }
}

/** A string tensor of encoded images (shape [] or [n]) as a uint8 [n, h, w, 3] tensor; all images must share a size. */
export async function decodeImages(tensor: HostTensor): Promise<HostTensor> {
  const items = tensor.values as Uint8Array[];
  if (tensor.shape.length > 1) {
    throw invalidArgument(`encoded images must be a scalar or a list, got rank ${tensor.shape.length}`);
  }
  if (items.length === 0) throw invalidArgument("no images in the request");
  const images = await Promise.all(items.map(decodeOne));
  const { width, height } = images[0]!;
  if (images.some((im) => im.width !== width || im.height !== height)) {
    throw invalidArgument("all images of one request must have the same size to be batched");
  }
  const size = width * height * 3;
  const values = new Uint8Array(size * images.length);
  for (const [i, im] of images.entries()) values.set(im.data, i * size);
  return { dtype: "DT_UINT8", shape: [images.length, height, width, 3], values };
}
