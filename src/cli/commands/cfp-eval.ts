/** facenet eval cfp: frontal–frontal and frontal–profile verification (and identification) on a CFP folder. */
import type { Command } from 'commander';
import os from 'node:os';
import path from 'node:path';
import { action, printResult } from '../output.js';
import { DETECT_MIN_SIDE_HELP, flipOf, recognizerOptions, withFlipOptions, type PipelineFlags } from './common.js';
import { embedForEvaluation, evalCommand, withEvalImageOptions } from './eval-common.js';
import { ALIGN_HELP, alignmentVariant } from './lfw-eval.js';
import {
  CFP_PROTOCOLS,
  kFold,
  ratesAtThreshold,
  readCfp,
  type CfpProtocol,
  type CfpProtocolResult,
} from '../../eval/cfp.js';
import { evaluateCfpIdentify, type CfpIdentifyResult, type TemplatesRows } from '../../eval/cfp-identify.js';
import { pickEmbedding, scorePairs, type EmbeddingVariant } from '../../eval/lfw.js';
import type { CachedEmbedding } from '../../eval/embedding-cache.js';
import { galleryModelId } from '../../gallery/face-source.js';
import { defaultCalibration } from '../../decide/default-calibration.js';
import { tauForFar } from '../../decide/calibration.js';
import type { FacePolicy } from '../../eval/labelled-face.js';
import { PooledRecognizer } from '../../workers/worker-pool.js';

interface CfpFlags extends PipelineFlags {
  data: string;
  identify?: boolean;
  concurrency?: string;
  workers?: string;
  cache?: string | false;
  face?: string;
  align?: string;
}

/** CFP photos are single-subject crops whose face is often off the centre (issue 19): the largest face is theirs. */
export const CFP_FACE_POLICY: FacePolicy = 'largest';
/** The false-accept rate whose shipped τ is checked on CFP (the CLI's and the server's default target). */
const TRANSFER_FAR = 1e-3;

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

type SideFaces = { single: number; pickedOfSeveral: number; noFace: number };

function facesOf(files: readonly string[], emb: Map<string, CachedEmbedding>): SideFaces {
  const n = { single: 0, pickedOfSeveral: 0, noFace: 0 };
  for (const f of files) {
    const s = emb.get(f)!.status;
    if (s === 'ok') n.single++;
    else if (s === 'central') n.pickedOfSeveral++;
    else n.noFace++;
  }
  return n;
}

function protocolLine(p: CfpProtocol, r: CfpProtocolResult, mark: string): string {
  return (
    `  ${p} ${mark} accuracy ${pct(r.accuracy)} ± ${pct(r.std)}  AUC ${r.auc.toFixed(5)}  ` +
    `TAR@FAR=1e-3 ${pct(r.tarAtFar1e3)}  1e-2 ${pct(r.tarAtFar1e2)}  EER ${pct(r.eer)}  τ ${r.threshold.toFixed(4)}`
  );
}

function templatesLines(t: TemplatesRows): string[] {
  return [
    `  ${t.label} (${t.probes} probes):`,
    ...t.rows.map(
      (r) =>
        `    ${String(r.templates).padStart(2)} photos ${r.combination.padEnd(13)} ` +
        `rank-1 ${pct(r.rank1).padStart(7)}  ` +
        r.dir.map((d) => `DIR@${d.far} ${pct(d.dir).padStart(7)}`).join('  '),
    ),
  ];
}

function identifyLines(r: CfpIdentifyResult): string[] {
  const one = r.oneFrontal;
  return [
    `identification: ${r.enrolledPeople} people enrolled, ${r.strangers} strangers; ` +
      `probes: every profile photo (${r.knownProbes} known, ${r.unknownProbes} unknown)`,
    `  one frontal photo each: rank-1 ${pct(one.rank1)}  ` +
      one.dir.map((d) => `DIR@${d.far} ${pct(d.dir)} (oracle τ ${d.threshold.toFixed(4)})`).join('  '),
    ...(one.calibrated ?? []).map(
      (c) =>
        `    calibrated τ for F=${c.far}: ${c.threshold.toFixed(4)}, ` +
        `false alarms ${pct(c.measuredFalseAlarm)}, DIR ${pct(c.dir)}`,
    ),
    ...templatesLines(r.frontalPhotos),
    ...r.acrossPoses.flatMap(templatesLines),
  ];
}

export function registerCfpEvalCommand(program: Command): void {
  withFlipOptions(
    withEvalImageOptions(evalCommand(program).command('cfp'), CFP_FACE_POLICY),
    "headline figures without flip test-time augmentation (both are always reported; default: the pack's setting)",
  )
    .description(
      'CFP frontal–frontal (FF) and frontal–profile (FP): k-fold accuracy over the folder’s folds, AUC, ' +
        'TAR@FAR 1e-3/1e-2, EER; what the shipped τ does; --identify: identifying turned faces',
    )
    .requiredOption('--data <dir>', 'CFP folder in the original layout (Data/Images, Protocol/)')
    .option('--identify', 'also identify every profile photo against one or more enrolled photos of half the people')
    .option('--align <json>', ALIGN_HELP)
    .option('--min-score <s>', 'detector score threshold (default 0.5, as for LFW)')
    .option('--detect-min-side <px>', `${DETECT_MIN_SIDE_HELP} (default: none)`)
    .action(
      action(async (flags: CfpFlags) => {
        const t0 = performance.now();
        const data = readCfp(flags.data);
        const files = [...new Set([...data.frontal, ...data.profile])];
        const { res, fr, face } = await embedForEvaluation(
          flags,
          { ...recognizerOptions({ ...flags, flip: false }), ...alignmentVariant(flags.align) },
          files,
          CFP_FACE_POLICY,
        );
        const flip = flipOf(flags);
        const head: EmbeddingVariant = flip ? 'flip' : 'plain';
        const variants = Object.fromEntries(
          (['plain', 'flip'] as const).map((v) => [
            v,
            Object.fromEntries(
              CFP_PROTOCOLS.map((p) => [p, kFold(data.folds[p].map((f) => scorePairs(f, res.embeddings, v)))]),
            ) as Record<CfpProtocol, CfpProtocolResult>,
          ]),
        ) as Record<EmbeddingVariant, Record<CfpProtocol, CfpProtocolResult>>;
        const emb = (f: string) => pickEmbedding(res.embeddings.get(f)!, head);
        const modelId = galleryModelId(fr.modelId, flip, fr.ttaPaddings);
        const table = defaultCalibration(modelId);
        const tau = table ? tauForFar(table, TRANSFER_FAR) : undefined;
        const transfer = tau && {
          modelId,
          targetFar: TRANSFER_FAR,
          threshold: tau.threshold,
          lfwTar: tau.tar,
          ...ratesAtThreshold(data, emb, tau.threshold),
        };
        const identify = flags.identify
          ? evaluateCfpIdentify(data.people, emb, { fars: [0.01], calibration: table })
          : undefined;
        const faces = {
          frontal: facesOf(data.frontal, res.embeddings),
          profile: facesOf(data.profile, res.embeddings),
        };
        const seconds = (performance.now() - t0) / 1000;
        const json = {
          ...variants[head],
          flip,
          variants,
          folds: data.folds.FF.length,
          people: data.people.length,
          images: files.length,
          faces,
          facePolicy: face,
          calibrationTransfer: transfer ?? null,
          ...(identify ? { identify } : {}),
          model: fr.modelId,
          pack: fr.packInfo.name,
          embeddingsComputed: res.computed,
          embeddingsFromCache: res.fromCache,
          imagesPerSecond: res.computed ? res.computed / res.seconds : null,
          seconds,
          workers: fr instanceof PooledRecognizer ? fr.size : 0,
          machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
        };
        printResult(flags, json, () =>
          [
            `CFP ${path.basename(path.resolve(flags.data))} (${fr.modelId}): ` +
              `${data.people.length} people, ${files.length} images, ${json.folds} folds`,
            ...(['plain', 'flip'] as const).flatMap((v) => [
              `  ${v === 'flip' ? 'flip TTA' : 'no flip'}${v === head ? ' (headline)' : ''}:`,
              ...CFP_PROTOCOLS.map((p) => protocolLine(p, variants[v][p], ' ')),
            ]),
            `  faces (policy ${face}): ` +
              (['frontal', 'profile'] as const)
                .map(
                  (s) =>
                    `${s} ${faces[s].single} single, ${faces[s].pickedOfSeveral} picked of several, ` +
                    `${faces[s].noFace} none (centre box)`,
                )
                .join('; '),
            transfer
              ? `  shipped τ for FAR ${TRANSFER_FAR} ` +
                `(${transfer.threshold.toFixed(4)}; TAR ${pct(transfer.lfwTar)} on LFW): ` +
                CFP_PROTOCOLS.map(
                  (p) =>
                    `${p} FAR ${pct(transfer[p].far)} TAR ${pct(transfer[p].tar)} ` +
                    `(${transfer[p].impostorPairs} impostor, ${transfer[p].genuinePairs} genuine pairs)`,
                ).join('; ')
              : `  no shipped calibration for ${modelId}`,
            ...(identify ? identifyLines(identify) : []),
            `  ${res.computed} embedded, ${res.fromCache} from cache; ${seconds.toFixed(1)} s`,
          ].join('\n'),
        );
      }),
    );
}
