/** Calibration routes: the thresholds in use, and (admin) the default target FARs. */
import type { FastifyInstance } from 'fastify';
import { tauForFar } from '../../decide/calibration.js';
import type { ServerContext } from '../context.js';
import { farProp, r4, secured } from '../request.js';

export function calibrationRoutes(ctx: ServerContext) {
  const { gallery, db } = ctx;
  const calibrationInfo = async () => {
    const s = ctx.settings();
    const cal = await gallery.calibration();
    const v = tauForFar(cal.table, s.verifyFar);
    const open = await gallery.openSet(s.identifyFar);
    return {
      modelId: ctx.modelId(),
      origin: cal.origin,
      source: cal.table.source,
      created: cal.table.created,
      genuinePairs: cal.table.genuinePairs,
      impostorPairs: cal.table.impostorPairs,
      minResolvableFar: cal.table.minResolvableFar,
      auc: r4(cal.table.auc),
      verify: {
        targetFar: s.verifyFar,
        threshold: r4(v.threshold),
        far: v.far,
        tar: r4(v.tar),
        resolvable: v.resolvable,
      },
      identify: {
        targetFar: s.identifyFar,
        threshold: r4(open.threshold),
        perComparisonFar: open.perComparisonFar,
        people: open.people,
        comparisons: open.comparisons,
        resolvable: open.resolvable,
        ...(open.warning ? { warning: open.warning } : {}),
      },
    };
  };
  return async (v1: FastifyInstance): Promise<void> => {
    v1.get(
      '/calibration',
      {
        config: { role: 'recognize' },
        schema: { tags: ['service'], summary: 'thresholds in use and the target FARs', security: secured },
      },
      async () => calibrationInfo(),
    );
    v1.put(
      '/calibration',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['service'],
          summary: 'set the default target FARs (admin)',
          security: secured,
          body: {
            type: 'object',
            minProperties: 1,
            additionalProperties: false,
            properties: {
              verifyFar: farProp('1:1 target false-accept rate'),
              identifyFar: farProp('1:N target open-set false-alarm rate'),
            },
          },
        },
      },
      async (req) => {
        const b = req.body as { verifyFar?: number; identifyFar?: number };
        db.saveSettings(b);
        return calibrationInfo();
      },
    );
  };
}
