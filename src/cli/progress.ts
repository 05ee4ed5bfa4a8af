/** Progress bars on stderr (only on a terminal: stdout stays the result, and pipes see no bar). */
import cliProgress from 'cli-progress';

export interface ProgressBar {
  update(done: number, total: number): void;
  stop(): void;
}

/** A counting bar with a rate in images per second; a no-op when `enabled` is false. */
export function progressBar(label: string, enabled: boolean): ProgressBar {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate} img/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = performance.now();
  return {
    update(done, total) {
      if (!started) bar.start(total, 0, { rate: '0' });
      started = true;
      bar.update(done, { rate: (done / ((performance.now() - t0) / 1000)).toFixed(1) });
    },
    stop: () => started && bar.stop(),
  };
}
