// The head's branches: each a 3×3 depthwise conv ("same", stride 1) then a 1×1 conv with bias, all on
// the same frozen features. Their gradient is written out for the weights only, as one matmul over
// the features for all branches together: on WASM (XNNPACK) a matmul packs its right-hand operand
// afresh for every new tensor, ~190 ms for a batch of 8 feature maps, so the features are the left
// operand and the narrow shifted gradients the right one, once for all branches and weights.
//
// With x padded by one cell and flattened to rows q of a [Q, C] matrix X, tap (i, j) reads row q + o
// for o = i·(W+2) + j, so the depthwise output is y[q] = Σ_tap Wd[tap]·X[q + o_tap]. With
//   G[tap, k, c] = Σ_r X[r, c] · dz[r − o_tap, k]
// (one matmul over dz shifted by each tap's offset, K = all branches' 1×1 outputs):
//   dWd[tap, c] = Σ_k Wp[c, k] · G[tap, k, c]      (the depthwise output's gradient is dz·Wpᵀ)
//   dWp[c, k]   = Σ_tap Wd[tap, c] · G[tap, k, c]  (dWp = yᵀ·dz, and y is a sum over taps)
import * as tf from "@tensorflow/tfjs-core";

export interface SeparableBranch {
  depthwise: tf.Tensor; // [3,3,C,1]
  pointwise: tf.Tensor; // [1,1,C,K]
  bias: tf.Tensor; // [K]
}

/** Every branch's output, concatenated along channels in branch order: [B,H,W,ΣK]. */
export function separableConvs(x: tf.Tensor4D, branches: SeparableBranch[]): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const widths = branches.map((br) => br.pointwise.shape[3]!);
  const starts = widths.map((_, i) => widths.slice(0, i).reduce((s, k) => s + k, 0));
  const total = widths.reduce((s, k) => s + k, 0);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const weights = args as tf.Tensor[]; // depthwise, pointwise, bias of each branch
    const xp = tf.pad(x, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]) as tf.Tensor4D;
    save([xp, ...weights]);
    const outs = branches.map((_, i) => {
      const [dw, pw, bias] = weights.slice(3 * i, 3 * i + 3) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
      return tf.add(tf.conv2d(tf.depthwiseConv2d(xp, dw, 1, "valid"), pw, 1, "same"), bias);
    });
    const value = tf.concat(outs, 3) as tf.Tensor4D;
    return {
      value,
      gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => {
        const rows = b * (h + 2) * (w + 2);
        // dz placed at each output's top-left tap in the padded grid, then shifted down by each offset.
        const placed = tf.reshape(
          tf.pad(dz, [
            [0, 0],
            [0, 2],
            [0, 2],
            [0, 0],
          ]),
          [rows, total],
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
                      [o, 0],
                      [0, 0],
                    ]),
                    [0, 0],
                    [rows, total],
                  ),
            );
          }
        const [xpSaved, ...kept] = saved as [tf.Tensor, ...tf.Tensor[]];
        // Gᵀ = Xᵀ·Sᵀ: the matmul packs its right operand, [Q, 9K], narrower than the features.
        const gT = tf.matMul(tf.transpose(tf.reshape(xpSaved, [rows, c])), tf.concat(shifted, 1)); // [C, 9K]
        const g = tf.transpose(tf.reshape(gT, [c, 9, total]), [1, 2, 0]); // [9, K, C]
        const dBias = tf.sum(tf.reshape(dz, [-1, total]), 0);
        return branches.flatMap((_, i) => {
          const [dw, pw] = kept.slice(3 * i, 3 * i + 2) as [tf.Tensor, tf.Tensor];
          const k = widths[i]!;
          const gi = tf.slice(g, [0, starts[i]!, 0], [9, k, c]);
          const pwT = tf.reshape(tf.transpose(tf.reshape(pw, [c, k])), [1, k, c]);
          const dDw = tf.reshape(tf.sum(tf.mul(gi, pwT), 1), [3, 3, c, 1]);
          const dPw = tf.reshape(tf.transpose(tf.sum(tf.mul(gi, tf.reshape(dw, [9, 1, c])), 0)), [1, 1, c, k]);
          return [dDw, dPw, tf.slice(dBias, [starts[i]!], [k])];
        });
      },
    };
  });
  return op(...branches.flatMap((br) => [br.depthwise, br.pointwise, br.bias])) as tf.Tensor4D;
}
