/**
 * The liveness stage of a pipeline (PipelineStages.liveness): the passive check for the pack's detector, loaded on
 * first use (the models ship in the package), and the policy applied to the faces of one photo or frame.
 */
import type { Box } from '../detect/types.js';
import type { RgbImage } from '../image/types.js';
import { livenessBoxFor } from '../pack/liveness.js';
import { stageThreads } from '../pack/router.js';
import type { PackDefinition } from '../pack/types.js';
import type { RecognizerOptions } from '../recognizer-types.js';
import { LivenessCheck, type LivenessCheckOptions } from './check.js';
import { enforceLiveness, livenessRuns } from './policy.js';
import type { Liveness, LivenessPolicy } from './types.js';

export class LivenessStage {
  #check?: Promise<LivenessCheck>;

  constructor(private readonly opts: LivenessCheckOptions) {}

  /** The check itself (loaded once; a failed load is tried again on the next call). */
  checker(): Promise<LivenessCheck> {
    this.#check ??= LivenessCheck.load(this.opts).catch((e: unknown) => {
      this.#check = undefined;
      throw e;
    });
    return this.#check;
  }

  /**
   * Faces of a decoded photo (or frame) with their verdicts under `policy`: 'warn' adds `liveness` to each, 'require'
   * also refuses with SPOOF_SUSPECTED when any is judged not live, 'off' (or none) returns them as they are.
   */
  async judge<F extends { box: Box; liveness?: Liveness }>(
    img: RgbImage,
    faces: readonly F[],
    policy: LivenessPolicy | undefined,
    source = 'the image',
  ): Promise<F[]> {
    if (!livenessRuns(policy) || !faces.length) return [...faces];
    const check = await this.checker();
    const verdicts = await check.judge(
      img,
      faces.map((f) => f.box),
    );
    const judged = faces.map((f, i) => ({ ...f, liveness: verdicts[i] }));
    enforceLiveness(policy, judged, source);
    return judged;
  }

  /** Frees the models if they were loaded. */
  async close(): Promise<void> {
    const loaded = this.#check;
    this.#check = undefined;
    await loaded?.then(
      (c) => c.close(),
      () => undefined,
    );
  }
}

/** The stage for a pack and the recognizer's options: the pack detector's box mapping, the recognizer's threshold. */
export function livenessStageFor(pack: PackDefinition, opts: RecognizerOptions): LivenessStage {
  return new LivenessStage({
    boxMap: livenessBoxFor(pack.detector),
    threshold: opts.livenessThreshold,
    models: opts.models,
    engine: opts.engine,
    threads: stageThreads(opts.threads, undefined, opts.threadShare),
  });
}
