/** What `facenet eval liveness` prints: the ISO/IEC 30107-3 figures at a threshold, and the contact sheet's faces. */
import { LIVE_LABEL, type PadFigures } from '../../liveness/evaluate.js';
import type { ScoredPhoto } from '../../liveness/score-images.js';
import type { SheetFace } from '../../liveness/contact-sheet.js';

const pct = (v: number) => (Number.isNaN(v) ? '–' : `${(100 * v).toFixed(2)} %`);

export function figuresJson(f: PadFigures) {
  return { threshold: f.threshold, bpcer: f.bpcer, apcer: f.apcer, apcerMax: f.apcerMax, acer: f.acer };
}

export function figuresText(title: string, f: PadFigures): string {
  const row = (label: string, r: PadFigures['bpcer'], what: string, term: string) =>
    `  ${label.padEnd(8)} ${String(r.count).padStart(6)} with a face${r.noFace ? ` (+${r.noFace} without)` : ''}: ` +
    `${term} ${pct(r.rate)} (${r.errors} ${what})`;
  return [
    `${title}: threshold ${f.threshold.toFixed(4)} (live iff score ≥ threshold)`,
    row('live', f.bpcer, 'refused', 'BPCER'),
    ...Object.entries(f.apcer).map(([t, r]) => row(t, r, 'accepted', 'APCER')),
    `  ACER ${pct(f.acer)} (worst APCER ${pct(f.apcerMax)})`,
  ].join('\n');
}

/** The errors at `threshold`, worst first: refused live faces (lowest score first), then accepted attacks. */
export function sheetFaces(scored: readonly ScoredPhoto[], threshold: number, max: number): SheetFace[] {
  const usable = scored.filter((s) => s.score !== undefined && s.box);
  const refused = usable
    .filter((s) => s.label === LIVE_LABEL && s.score! < threshold)
    .sort((a, b) => a.score! - b.score!);
  const accepted = usable
    .filter((s) => s.label !== LIVE_LABEL && s.score! >= threshold)
    .sort((a, b) => b.score! - a.score!);
  return [...refused, ...accepted].slice(0, max).map((s) => ({ file: s.file, box: s.box!, score: s.score! }));
}
