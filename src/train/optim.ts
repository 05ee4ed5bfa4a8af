/**
 * Adam with decoupled weight decay (AdamW), written out in tfjs ops so its whole state (step and moments,
 * keyed by parameter name) can be saved in a checkpoint and restored exactly.
 */
import { tf } from './backend.js';
import type { NamedArray } from './model.js';
import { invariant } from '../errors.js';

export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export class AdamW {
  step = 0;
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();

  constructor(readonly settings: AdamSettings) {}

  /** One update. `lr` overrides the base rate (schedules); `decay(name)` says whether weight decay applies. */
  apply(
    params: Map<string, tf.Variable>,
    grads: Map<string, tf.Tensor>,
    lr = this.settings.lr,
    decay: (name: string) => boolean = () => true,
  ): void {
    const { beta1, beta2, eps, weightDecay } = this.settings;
    this.step++;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const [name, g] of grads) {
      const p = params.get(name);
      invariant(p, `gradient for unknown parameter ${name}`);
      const m0 = this.m.get(name);
      const v0 = this.v.get(name);
      const [m1, v1] = tf.tidy(() => {
        const m1 = m0 ? tf.add(tf.mul(m0, beta1), tf.mul(g, 1 - beta1)) : tf.mul(g, 1 - beta1);
        const v1 = v0 ? tf.add(tf.mul(v0, beta2), tf.mul(tf.square(g), 1 - beta2)) : tf.mul(tf.square(g), 1 - beta2);
        let upd = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps));
        if (weightDecay > 0 && decay(name)) upd = tf.add(upd, tf.mul(p, weightDecay));
        p.assign(tf.sub(p, tf.mul(upd, lr)));
        return [m1, v1];
      });
      m0?.dispose();
      v0?.dispose();
      this.m.set(name, m1);
      this.v.set(name, v1);
    }
  }

  snapshot(): { step: number; m: Record<string, NamedArray>; v: Record<string, NamedArray> } {
    const dump = (map: Map<string, tf.Tensor>) => {
      const out: Record<string, NamedArray> = {};
      for (const [k, t] of map) out[k] = { shape: [...t.shape], data: t.dataSync().slice() as Float32Array };
      return out;
    };
    return { step: this.step, m: dump(this.m), v: dump(this.v) };
  }

  restore(s: { step: number; m: Record<string, NamedArray>; v: Record<string, NamedArray> }): void {
    this.dispose();
    this.step = s.step;
    for (const [k, a] of Object.entries(s.m)) this.m.set(k, tf.tensor(a.data, a.shape));
    for (const [k, a] of Object.entries(s.v)) this.v.set(k, tf.tensor(a.data, a.shape));
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
