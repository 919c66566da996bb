// A 3×3 depthwise conv ("same", stride 1) then a 1×1 conv with bias: the head's two branches. Its
// gradient is written out for the weights only (the features are frozen), as matmuls, because the
// depthwise filter gradient as a kernel is the slowest part of a training step on WASM.
//
// With x padded by one cell and flattened to rows q of a [Q, C] matrix X, tap (i, j) reads row q + o
// for o = i·(W+2) + j. The depthwise output's gradient is dz·Wpᵀ, so
//   dWd[tap, c] = Σ_k Wp[c, k] · Σ_r X[r, c] · dz[r − o_tap, k]
// which is one [9K, Q]·[Q, C] matmul over dz shifted by each tap's offset (K = the 1×1 conv's outputs,
// a handful in a detection head), instead of nine passes over the wide features.
import * as tf from "@tensorflow/tfjs-core";

export function separableConv(
  x: tf.Tensor4D,
  depthwise: tf.Variable,
  pointwise: tf.Variable,
  bias: tf.Variable,
): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const k = pointwise.shape[3]!;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [dw, pw, bs, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    const xp = tf.pad(x, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]) as tf.Tensor4D;
    const y = tf.depthwiseConv2d(xp, dw, 1, "valid");
    save([xp, y, pw]);
    const value = tf.add(tf.conv2d(y, pw, 1, "same"), bs) as tf.Tensor4D;
    return {
      value,
      gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => {
        const [xpSaved, ySaved, pwSaved] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const dz2 = tf.reshape(dz, [-1, k]);
        // 1×1 conv: dWp = yᵀ·dz, computed as (dzᵀ·y)ᵀ so that only the narrow dz is transposed.
        const dPw = tf.reshape(tf.transpose(tf.matMul(tf.transpose(dz2), tf.reshape(ySaved, [-1, c]))), [1, 1, c, k]);
        const dBias = tf.sum(dz2, 0);
        // dzᵀ placed at each output's top-left tap in the padded grid, then shifted right by each offset
        // (rows of the transposed form are contiguous, so stacking the nine is a plain copy).
        const rows = b * (h + 2) * (w + 2);
        const placed = tf.transpose(
          tf.reshape(
            tf.pad(dz, [
              [0, 0],
              [0, 2],
              [0, 2],
              [0, 0],
            ]),
            [rows, k],
          ),
        );
        const shifted: tf.Tensor[] = [];
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            const o = i * (w + 2) + j;
            shifted.push(
              o === 0
                ? placed
                : tf.slice(
                    tf.pad(placed, [
                      [0, 0],
                      [o, 0],
                    ]),
                    [0, 0],
                    [k, rows],
                  ),
            );
          }
        const g = tf.matMul(tf.concat(shifted, 0), tf.reshape(xpSaved, [rows, c])); // [9K, C]
        const pwT = tf.reshape(tf.transpose(tf.reshape(pwSaved, [c, k])), [1, k, c]);
        const dDw = tf.reshape(tf.sum(tf.mul(tf.reshape(g, [9, k, c]), pwT), 1), [3, 3, c, 1]);
        return [dDw, dPw, dBias];
      },
    };
  });
  return op(depthwise, pointwise, bias) as tf.Tensor4D;
}
