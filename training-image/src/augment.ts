// The TF Object Detection API's data_augmentation_options that boxloop implements, as functions of
// (image, boxes, rng). Images are float RGB 0..255 [H,W,3]; boxes are normalized ymin, xmin, ymax, xmax.
import * as tf from "@tensorflow/tfjs-core";
import { type Rng, uniform } from "./random.ts";

export interface NormBox {
  cls: number;
  ymin: number;
  xmin: number;
  ymax: number;
  xmax: number;
}

export interface Sample {
  image: tf.Tensor3D;
  boxes: NormBox[];
}

export type Augmentation = (sample: Sample, rng: Rng) => Sample;

/** Options per augmentation, with TF OD API's defaults (preprocessor.proto). */
export interface AugmentationOptions {
  random_horizontal_flip: { probability: number };
  random_vertical_flip: { probability: number };
  random_rotation90: { probability: number };
  random_adjust_brightness: { max_delta: number };
  random_adjust_contrast: { min_delta: number; max_delta: number };
  random_crop_image: {
    min_object_covered: number;
    min_aspect_ratio: number;
    max_aspect_ratio: number;
    min_area: number;
    max_area: number;
    overlap_thresh: number;
    random_coef: number;
  };
  random_pad_image: { max_scale: number };
  random_jitter_boxes: { ratio: number };
  random_scale_crop_and_pad_to_square: { scale_min: number; scale_max: number };
}

export type AugmentationName = keyof AugmentationOptions;

export const augmentationDefaults: AugmentationOptions = {
  random_horizontal_flip: { probability: 0.5 },
  random_vertical_flip: { probability: 0.5 },
  random_rotation90: { probability: 0.5 },
  random_adjust_brightness: { max_delta: 0.2 },
  random_adjust_contrast: { min_delta: 0.8, max_delta: 1.25 },
  random_crop_image: {
    min_object_covered: 1.0,
    min_aspect_ratio: 0.75,
    max_aspect_ratio: 1.33,
    min_area: 0.1,
    max_area: 1.0,
    overlap_thresh: 0.3,
    random_coef: 0.0,
  },
  random_pad_image: { max_scale: 2.0 },
  random_jitter_boxes: { ratio: 0.05 },
  random_scale_crop_and_pad_to_square: { scale_min: 0.1, scale_max: 2.0 },
};

const clip01 = (v: number) => Math.min(1, Math.max(0, v));

function replaceImage(sample: Sample, image: tf.Tensor3D, boxes: NormBox[]): Sample {
  if (image !== sample.image) sample.image.dispose();
  return { image, boxes };
}

function horizontalFlip(o: { probability: number }): Augmentation {
  return (s, rng) => {
    if (rng() >= o.probability) return s;
    const image = tf.tidy(() => tf.reverse(s.image, 1));
    return replaceImage(
      s,
      image,
      s.boxes.map((b) => ({ ...b, xmin: 1 - b.xmax, xmax: 1 - b.xmin })),
    );
  };
}

function verticalFlip(o: { probability: number }): Augmentation {
  return (s, rng) => {
    if (rng() >= o.probability) return s;
    const image = tf.tidy(() => tf.reverse(s.image, 0));
    return replaceImage(
      s,
      image,
      s.boxes.map((b) => ({ ...b, ymin: 1 - b.ymax, ymax: 1 - b.ymin })),
    );
  };
}

/** Rotates 90° counter-clockwise, as TF OD API's random_rotation90. */
function rotation90(o: { probability: number }): Augmentation {
  return (s, rng) => {
    if (rng() >= o.probability) return s;
    const image = tf.tidy(() => tf.reverse(tf.transpose(s.image, [1, 0, 2]), 0) as tf.Tensor3D);
    return replaceImage(
      s,
      image,
      s.boxes.map((b) => ({ ...b, ymin: 1 - b.xmax, xmin: b.ymin, ymax: 1 - b.xmin, xmax: b.ymax })),
    );
  };
}

function brightness(o: { max_delta: number }): Augmentation {
  return (s, rng) => {
    const delta = uniform(rng, -o.max_delta, o.max_delta) * 255;
    return replaceImage(
      s,
      tf.tidy(() => tf.clipByValue(tf.add(s.image, delta), 0, 255) as tf.Tensor3D),
      s.boxes,
    );
  };
}

function contrast(o: { min_delta: number; max_delta: number }): Augmentation {
  return (s, rng) => {
    const factor = uniform(rng, o.min_delta, o.max_delta);
    const image = tf.tidy(() => {
      const mean = tf.mean(s.image, [0, 1], true);
      return tf.clipByValue(tf.add(tf.mul(tf.sub(s.image, mean), factor), mean), 0, 255) as tf.Tensor3D;
    });
    return replaceImage(s, image, s.boxes);
  };
}

/** Crops a window (pixels) out of the image; keeps boxes whose visible fraction is at least `keep`. */
function cropTo(s: Sample, y0: number, x0: number, h: number, w: number, keep: number): Sample {
  const [H, W] = s.image.shape;
  const boxes: NormBox[] = [];
  for (const b of s.boxes) {
    const area = (b.ymax - b.ymin) * (b.xmax - b.xmin);
    const ymin = clip01((b.ymin * H - y0) / h);
    const xmin = clip01((b.xmin * W - x0) / w);
    const ymax = clip01((b.ymax * H - y0) / h);
    const xmax = clip01((b.xmax * W - x0) / w);
    const visible = (((ymax - ymin) * h) / H) * (((xmax - xmin) * w) / W);
    if (area > 0 && visible / area >= keep && ymax > ymin && xmax > xmin) boxes.push({ ...b, ymin, xmin, ymax, xmax });
  }
  const image = tf.tidy(() => tf.slice(s.image, [y0, x0, 0], [h, w, 3]));
  return replaceImage(s, image, boxes);
}

function cropImage(o: AugmentationOptions["random_crop_image"]): Augmentation {
  return (s, rng) => {
    if (rng() < o.random_coef) return s;
    const [H, W] = s.image.shape;
    for (let attempt = 0; attempt < 50; attempt++) {
      const area = uniform(rng, o.min_area, o.max_area) * H * W;
      const aspect = uniform(rng, o.min_aspect_ratio, o.max_aspect_ratio);
      const h = Math.round(Math.sqrt(area / aspect));
      const w = Math.round(Math.sqrt(area * aspect));
      if (h < 1 || w < 1 || h > H || w > W) continue;
      const y0 = Math.floor(rng() * (H - h + 1));
      const x0 = Math.floor(rng() * (W - w + 1));
      // min_object_covered: at least one box is covered by this fraction.
      const covers = s.boxes.some((b) => {
        const ih = Math.max(0, Math.min(b.ymax * H, y0 + h) - Math.max(b.ymin * H, y0));
        const iw = Math.max(0, Math.min(b.xmax * W, x0 + w) - Math.max(b.xmin * W, x0));
        const a = (b.ymax - b.ymin) * H * (b.xmax - b.xmin) * W;
        return a > 0 && (ih * iw) / a >= o.min_object_covered - 1e-6;
      });
      if (!covers && s.boxes.length > 0) continue;
      return cropTo(s, y0, x0, h, w, o.overlap_thresh);
    }
    return s;
  };
}

/** Places the image at a random offset on a canvas up to max_scale times larger, filled with the mean colour. */
function padImage(o: { max_scale: number }): Augmentation {
  return (s, rng) => {
    const [H, W] = s.image.shape;
    const h = Math.floor(H * uniform(rng, 1, o.max_scale));
    const w = Math.floor(W * uniform(rng, 1, o.max_scale));
    const top = Math.floor(rng() * (h - H + 1));
    const left = Math.floor(rng() * (w - W + 1));
    const image = tf.tidy(() => {
      const mean = tf.mean(s.image, [0, 1], true);
      const centred = tf.sub(s.image, mean);
      return tf.add(
        tf.pad(centred, [
          [top, h - H - top],
          [left, w - W - left],
          [0, 0],
        ]),
        mean,
      ) as tf.Tensor3D;
    });
    const boxes = s.boxes.map((b) => ({
      ...b,
      ymin: (b.ymin * H + top) / h,
      xmin: (b.xmin * W + left) / w,
      ymax: (b.ymax * H + top) / h,
      xmax: (b.xmax * W + left) / w,
    }));
    return replaceImage(s, image, boxes);
  };
}

function jitterBoxes(o: { ratio: number }): Augmentation {
  return (s, rng) => {
    const boxes = s.boxes.map((b) => {
      const h = b.ymax - b.ymin;
      const w = b.xmax - b.xmin;
      const j = () => uniform(rng, -o.ratio, o.ratio);
      const ymin = clip01(b.ymin + j() * h);
      const xmin = clip01(b.xmin + j() * w);
      const ymax = clip01(b.ymax + j() * h);
      const xmax = clip01(b.xmax + j() * w);
      return ymax > ymin && xmax > xmin ? { ...b, ymin, xmin, ymax, xmax } : b;
    });
    return { image: s.image, boxes };
  };
}

/** Scales the image's long side by a random factor of its size, then crops or pads to a square of the old long side. */
function scaleCropPadToSquare(o: { scale_min: number; scale_max: number }): Augmentation {
  return (s, rng) => {
    const [H, W] = s.image.shape;
    const side = Math.max(H, W);
    const scale = uniform(rng, o.scale_min, o.scale_max);
    const h = Math.max(1, Math.round(H * scale));
    const w = Math.max(1, Math.round(W * scale));
    const y0 = h > side ? Math.floor(rng() * (h - side + 1)) : 0;
    const x0 = w > side ? Math.floor(rng() * (w - side + 1)) : 0;
    const ch = Math.min(side, h);
    const cw = Math.min(side, w);
    const image = tf.tidy(() => {
      const resized = tf.image.resizeBilinear(s.image, [h, w], false, true);
      const cropped = tf.slice(resized, [y0, x0, 0], [ch, cw, 3]);
      return tf.pad(cropped, [
        [0, side - ch],
        [0, side - cw],
        [0, 0],
      ]);
    });
    const boxes: NormBox[] = [];
    for (const b of s.boxes) {
      const ymin = clip01((b.ymin * h - y0) / side);
      const xmin = clip01((b.xmin * w - x0) / side);
      const ymax = Math.min(ch / side, (b.ymax * h - y0) / side);
      const xmax = Math.min(cw / side, (b.xmax * w - x0) / side);
      const before = (b.ymax - b.ymin) * h * (b.xmax - b.xmin) * w;
      const after = (ymax - ymin) * side * (xmax - xmin) * side;
      if (ymax > ymin && xmax > xmin && after / before >= 0.3) boxes.push({ ...b, ymin, xmin, ymax, xmax });
    }
    return replaceImage(s, image, boxes);
  };
}

const factories: { [K in AugmentationName]: (o: AugmentationOptions[K]) => Augmentation } = {
  random_horizontal_flip: horizontalFlip,
  random_vertical_flip: verticalFlip,
  random_rotation90: rotation90,
  random_adjust_brightness: brightness,
  random_adjust_contrast: contrast,
  random_crop_image: cropImage,
  random_pad_image: padImage,
  random_jitter_boxes: jitterBoxes,
  random_scale_crop_and_pad_to_square: scaleCropPadToSquare,
};

export const augmentationNames = Object.keys(factories) as AugmentationName[];

export interface AugmentationSpec<K extends AugmentationName = AugmentationName> {
  name: K;
  options: Partial<AugmentationOptions[K]>;
}

export function makeAugmentation<K extends AugmentationName>(spec: AugmentationSpec<K>): Augmentation {
  const options = { ...augmentationDefaults[spec.name], ...spec.options } as AugmentationOptions[K];
  return factories[spec.name](options);
}

/** Applies the options in order, as TF OD API's preprocessor does. */
export function augment(sample: Sample, specs: AugmentationSpec[], rng: Rng): Sample {
  let s = sample;
  for (const spec of specs) s = makeAugmentation(spec)(s, rng);
  return s;
}
