// Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks (Conv2DBackpropFilter,
// DepthwiseConv2dNativeBackpropFilter/Input), written with forward ops WASM has (XNNPACK conv, matMul).
// WASM's own Conv2DBackpropInput is a scalar loop, so it is replaced by a forward conv as well.
import * as tf from "@tensorflow/tfjs-core";

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;
interface KernelArgs {
  inputs: Record<string, Info>;
  attrs: Attrs;
}

/** Wraps a kernel input as a Tensor without copying; the extra reference keeps the input alive. */
function wrap(info: Info): tf.Tensor {
  tf.backend().incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

function convInfo(x: number[], filter: number[], attrs: Attrs, depthwise: boolean) {
  return tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    attrs.strides as [number, number],
    (attrs.dilations as [number, number] | number | undefined) ?? 1,
    attrs.pad as "same" | "valid",
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    depthwise,
  );
}

/** [n,h,w,c] -> [n,(h-1)*sh+1,(w-1)*sw+1,c] with zeros between rows and columns. */
function dilate(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape;
  let d = tf.reshape(dy, [n, h, 1, w, 1, c]);
  d = tf.pad(d, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(d, [n, h * sh, w * sw, c]),
    [0, 0, 0, 0],
    [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c],
  ) as tf.Tensor4D;
}

/** Pads/crops a (dilated) dy so that a valid correlation with a k×k filter yields the input's size. */
function padForFull(
  dy: tf.Tensor4D,
  k: [number, number],
  pad: { top: number; left: number },
  size: [number, number],
): tf.Tensor4D {
  const top = k[0] - 1 - pad.top;
  const left = k[1] - 1 - pad.left;
  const bottom = size[0] + k[0] - 1 - top - dy.shape[1];
  const right = size[1] + k[1] - 1 - left - dy.shape[2];
  const cut = (v: number) => Math.max(0, -v);
  const p = tf.pad(dy, [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ]);
  return tf.slice(
    p,
    [0, cut(top), cut(left), 0],
    [dy.shape[0], p.shape[1] - cut(top) - cut(bottom), p.shape[2] - cut(left) - cut(right), dy.shape[3]],
  );
}

function conv2dBackpropFilter({ inputs, attrs }: KernelArgs): Info {
  const filterShape = attrs.filterShape as [number, number, number, number];
  const ci = convInfo(inputs.x!.shape, filterShape, { ...attrs, dilations: 1 }, false);
  return tf.tidy(() => {
    const x = wrap(inputs.x!) as tf.Tensor4D;
    const dy = wrap(inputs.dy!) as tf.Tensor4D;
    const [kh, kw, cin, cout] = filterShape;
    const p = ci.padInfo;
    // WASM's matMul(transposeA) is ~4x slower than an explicit transpose, and transposing the wide x is
    // slower still: dyᵀ·x transposes only dy, which is narrow in a detection head (cout ≪ cin).
    if (ci.strideHeight === 1 && ci.strideWidth === 1) {
      const dy2 = tf.reshape(dy, [-1, cout]);
      if (kh === 1 && kw === 1) {
        const grad =
          cout < cin
            ? tf.transpose(tf.matMul(tf.transpose(dy2), tf.reshape(x, [-1, cin])))
            : tf.matMul(tf.transpose(tf.reshape(x, [-1, cin])), dy2);
        return tf.reshape(grad, filterShape);
      }
      const xp = tf.pad(x, [
        [0, 0],
        [p.top, p.bottom],
        [p.left, p.right],
        [0, 0],
      ]);
      const taps: tf.Tensor[] = [];
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          const xs = tf.slice(xp, [0, i, j, 0], [-1, ci.outHeight, ci.outWidth, -1]);
          taps.push(tf.matMul(tf.transpose(tf.reshape(xs, [-1, cin])), dy2));
        }
      return tf.reshape(tf.stack(taps), filterShape);
    }
    const xt = tf.pad(tf.transpose(x, [3, 1, 2, 0]), [
      [0, 0],
      [p.top, p.bottom],
      [p.left, p.right],
      [0, 0],
    ]) as tf.Tensor4D;
    const f = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const r = tf.conv2d(xt, f, 1, "valid", "NHWC", [ci.strideHeight, ci.strideWidth]);
    return tf.transpose(tf.slice(r, [0, 0, 0, 0], [-1, kh, kw, -1]), [1, 2, 0, 3]);
  });
}

function conv2dBackpropInput({ inputs, attrs }: KernelArgs): Info {
  const inputShape = attrs.inputShape as [number, number, number, number];
  const ci = convInfo(inputShape, inputs.filter!.shape, { ...attrs, dilations: 1 }, false);
  return tf.tidy(() => {
    const dy = wrap(inputs.dy!) as tf.Tensor4D;
    const w = wrap(inputs.filter!) as tf.Tensor4D;
    const [kh, kw, cin, cout] = w.shape;
    if (kh === 1 && kw === 1 && ci.strideHeight === 1 && ci.strideWidth === 1) {
      return tf.reshape(tf.matMul(tf.reshape(dy, [-1, cout]), tf.transpose(tf.reshape(w, [cin, cout]))), inputShape);
    }
    const d = padForFull(dilate(dy, ci.strideHeight, ci.strideWidth), [kh, kw], ci.padInfo, [
      inputShape[1],
      inputShape[2],
    ]);
    const wr = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(d, wr, 1, "valid");
  });
}

function depthwiseBackpropFilter({ inputs, attrs }: KernelArgs): Info {
  const filterShape = attrs.filterShape as [number, number, number, number];
  const ci = convInfo(inputs.x!.shape, filterShape, attrs, true);
  if (ci.outChannels !== ci.inChannels) throw new Error("depthwise gradient: channel multiplier 1 only");
  return tf.tidy(() => {
    // One depthwise conv over a [1,Hp,Wp,C*N] image with dy as a [Ho,Wo,C*N,1] kernel dilated by the stride.
    const x = wrap(inputs.x!) as tf.Tensor4D;
    const dy = wrap(inputs.dy!) as tf.Tensor4D;
    const p = ci.padInfo;
    const [n, , , c] = x.shape;
    const xp = tf.pad(x, [
      [0, 0],
      [p.top, p.bottom],
      [p.left, p.right],
      [0, 0],
    ]);
    const big = tf.reshape(tf.transpose(xp, [1, 2, 3, 0]), [1, xp.shape[1], xp.shape[2], c * n]) as tf.Tensor4D;
    const kernel = tf.reshape(tf.transpose(dy, [1, 2, 3, 0]), [ci.outHeight, ci.outWidth, c * n, 1]) as tf.Tensor4D;
    const r = tf.depthwiseConv2d(big, kernel, 1, "valid", "NHWC", [ci.strideHeight, ci.strideWidth]);
    const cropped = tf.slice(r, [0, 0, 0, 0], [1, ci.filterHeight, ci.filterWidth, -1]);
    return tf.reshape(tf.sum(tf.reshape(cropped, [ci.filterHeight, ci.filterWidth, c, n]), 3), filterShape);
  });
}

function depthwiseBackpropInput({ inputs, attrs }: KernelArgs): Info {
  const inputShape = attrs.inputShape as [number, number, number, number];
  const ci = convInfo(inputShape, inputs.filter!.shape, attrs, true);
  if (ci.outChannels !== ci.inChannels) throw new Error("depthwise gradient: channel multiplier 1 only");
  return tf.tidy(() => {
    const dy = wrap(inputs.dy!) as tf.Tensor4D;
    const w = wrap(inputs.filter!) as tf.Tensor4D;
    const d = padForFull(dilate(dy, ci.strideHeight, ci.strideWidth), [ci.filterHeight, ci.filterWidth], ci.padInfo, [
      inputShape[1],
      inputShape[2],
    ]);
    return tf.depthwiseConv2d(d, tf.reverse(w, [0, 1]) as tf.Tensor4D, 1, "valid");
  });
}

/** Registers the gradient kernels on the WASM backend (idempotent). */
export function installWasmGradients(): void {
  const kernels: Record<string, (args: KernelArgs) => Info> = {
    Conv2DBackpropFilter: conv2dBackpropFilter,
    Conv2DBackpropInput: conv2dBackpropInput,
    DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
    DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  };
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    if (tf.getKernel(kernelName, "wasm")) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
