/** `facenet-ts/server`: the REST API and web page as a library (what `facenet serve` runs). */
export {
  buildServer,
  DEFAULT_LIMITS,
  httpStatus,
  type ChallengeServerOptions,
  type ServerLimits,
  type ServerOptions,
  type ServerRecognizer,
} from '../server/app.js';
export { startServer, type RunningServer, type StartOptions } from '../server/start.js';
export { ServerDb, type Role } from '../server/keys.js';
export { PooledRecognizer } from '../workers/worker-pool.js';
export { DEFAULT_SERVER_LIVENESS, type ServerLiveness } from '../server/liveness-defaults.js';
export type { ChallengeVerdict, PassiveScorer } from '../liveness-challenge/types.js';
