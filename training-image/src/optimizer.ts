// Adam and momentum (TF's formulas) over the head's variables, with the learning rate given per step
// and a state that checkpoints save and restore exactly.
import * as tf from "@tensorflow/tfjs-core";
import type { TrainerConfig } from "./config.ts";

export interface OptimizerState {
  /** Updates applied so far. */
  t: number;
  /** Per variable name: Adam's [m, v] or momentum's [accumulator]. */
  slots: Record<string, tf.Tensor[]>;
}

export class HeadOptimizer {
  private slots = new Map<string, tf.Variable[]>();
  t = 0;

  constructor(readonly kind: TrainerConfig["optimizer"]) {}

  apply(vars: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
    this.t++;
    const t = this.t;
    tf.tidy(() => {
      for (const [name, v] of Object.entries(vars)) {
        const g = grads[name];
        if (!g) continue;
        let s = this.slots.get(name);
        if (!s) {
          const n = this.kind.kind === "adam" ? 2 : 1;
          s = Array.from({ length: n }, () => tf.variable(tf.zerosLike(v), false));
          this.slots.set(name, s);
        }
        if (this.kind.kind === "adam") {
          const [m, vv] = s as [tf.Variable, tf.Variable];
          const b1 = 0.9;
          const b2 = 0.999;
          m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
          vv.assign(tf.add(tf.mul(vv, b2), tf.mul(tf.square(g), 1 - b2)));
          const mHat = tf.div(m, 1 - b1 ** t);
          const vHat = tf.div(vv, 1 - b2 ** t);
          v.assign(tf.sub(v, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.kind.epsilon)), lr)));
        } else {
          const [acc] = s as [tf.Variable];
          acc.assign(tf.add(tf.mul(acc, this.kind.momentum), g));
          v.assign(tf.sub(v, tf.mul(acc, lr)));
        }
      }
    });
  }

  state(): OptimizerState {
    return { t: this.t, slots: Object.fromEntries([...this.slots].map(([k, v]) => [k, v as tf.Tensor[]])) };
  }

  restore(state: OptimizerState): void {
    this.dispose();
    this.t = state.t;
    for (const [name, tensors] of Object.entries(state.slots))
      this.slots.set(
        name,
        tensors.map((x) => tf.variable(x, false)),
      );
  }

  dispose(): void {
    for (const s of this.slots.values()) tf.dispose(s);
    this.slots.clear();
  }
}
