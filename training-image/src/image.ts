// Image decoding (sharp) and the letterbox that training, evaluation and the exported graph share.
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Decodes JPEG/PNG/… bytes to RGB (EXIF orientation is not applied, as TF's DecodeJpeg does not). */
export async function decodeImage(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels after decoding, got ${info.channels}`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

/** The size an image is resized to before padding to `size`×`size` (bottom and right). */
export function letterboxSize(width: number, height: number, size: number): { width: number; height: number } {
  const scale = Math.fround(size / Math.max(width, height));
  return {
    width: Math.max(1, Math.floor(Math.fround(width * scale) + 0.5)),
    height: Math.max(1, Math.floor(Math.fround(height * scale) + 0.5)),
  };
}

/** [H,W,3] RGB (uint8 or float) -> [size,size,3] float 0..255, resized keeping aspect, zero-padded bottom/right. */
export function letterbox(image: tf.Tensor3D, size: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [h, w] = image.shape;
    const r = letterboxSize(w, h, size);
    const resized = tf.image.resizeBilinear(tf.cast(image, "float32"), [r.height, r.width], false, true);
    return tf.pad(resized, [
      [0, size - r.height],
      [0, size - r.width],
      [0, 0],
    ]);
  });
}

/** Plain resize to a fixed shape (fixed_shape_resizer). */
export function resizeFixed(image: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => tf.image.resizeBilinear(tf.cast(image, "float32"), [height, width], false, true));
}

export type ResizeMode = "letterbox" | "stretch";

/** The network input for an image: letterboxed (keep_aspect_ratio_resizer) or stretched (fixed_shape_resizer). */
export function networkInput(image: tf.Tensor3D, size: number, mode: ResizeMode): tf.Tensor3D {
  return mode === "letterbox" ? letterbox(image, size) : resizeFixed(image, size, size);
}

/** The part of the network input the image covers, in input pixels. */
export function contentSize(width: number, height: number, size: number, mode: ResizeMode) {
  return mode === "letterbox" ? letterboxSize(width, height, size) : { width: size, height: size };
}
