/**
 * A constant-velocity Kalman filter on a face box: four independent filters (centre x, centre y, width, height),
 * each with state [position, velocity]. Independent axes keep it to 2×2 algebra; a face's motion along x does not
 * inform its size. Noise is relative to the box size, so a 40 px and a 400 px face are tracked alike.
 */
import type { Box } from '../detect/types.js';

/** One axis: position p, velocity v, covariance [[a, b], [b, c]]. */
class Axis {
  v = 0;
  a: number;
  b = 0;
  c: number;

  constructor(
    public p: number,
    scale: number,
  ) {
    this.a = scale * scale;
    this.c = 4 * scale * scale; // unknown velocity at first
  }

  /** Advance dt seconds; q is the process noise (acceleration spread, px/s²). `damp` shrinks the velocity. */
  predict(dt: number, q: number, damp = 1): void {
    this.p += this.v * dt;
    this.v *= damp;
    const { a, b, c } = this;
    const q2 = q * q;
    // P = F P Fᵀ + Q with F = [[1, dt], [0, damp]], Q from white acceleration
    this.a = a + 2 * dt * b + dt * dt * c + (q2 * dt ** 4) / 4;
    this.b = damp * (b + dt * c) + (q2 * dt ** 3) / 2;
    this.c = damp * damp * c + q2 * dt * dt;
  }

  /** Fold in a measurement z with variance r. */
  update(z: number, r: number): void {
    const s = this.a + r;
    const k0 = this.a / s;
    const k1 = this.b / s;
    const y = z - this.p;
    this.p += k0 * y;
    this.v += k1 * y;
    const { a, b, c } = this;
    this.a = (1 - k0) * a;
    this.b = (1 - k0) * b;
    this.c = c - k1 * b;
  }
}

export class BoxFilter {
  private readonly axes: [Axis, Axis, Axis, Axis];

  constructor(box: Box) {
    const s = Math.max(box.width, box.height);
    this.axes = [
      new Axis(box.x + box.width / 2, 0.1 * s),
      new Axis(box.y + box.height / 2, 0.1 * s),
      new Axis(box.width, 0.1 * s),
      new Axis(box.height, 0.1 * s),
    ];
  }

  private get size(): number {
    return Math.max(1, this.axes[2].p, this.axes[3].p);
  }

  /** Move the state dt seconds ahead. */
  predict(dt: number): void {
    if (!(dt > 0)) return;
    const s = this.size;
    this.axes[0].predict(dt, 4 * s);
    this.axes[1].predict(dt, 4 * s);
    this.axes[2].predict(dt, 1 * s, 0.5 ** dt); // sizes change slowly; their velocity fades
    this.axes[3].predict(dt, 1 * s, 0.5 ** dt);
  }

  update(box: Box): void {
    const r = (0.05 * Math.max(box.width, box.height)) ** 2; // detector jitter ≈ 5 % of the face
    this.axes[0].update(box.x + box.width / 2, r);
    this.axes[1].update(box.y + box.height / 2, r);
    this.axes[2].update(box.width, r);
    this.axes[3].update(box.height, r);
  }

  get box(): Box {
    const [cx, cy, w, h] = this.axes.map((a) => a.p);
    const width = Math.max(1, w);
    const height = Math.max(1, h);
    return { x: cx - width / 2, y: cy - height / 2, width, height };
  }

  /** Pixels per second of the centre. */
  get velocity(): { x: number; y: number } {
    return { x: this.axes[0].v, y: this.axes[1].v };
  }
}
