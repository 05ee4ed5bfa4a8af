/**
 * The server's memory of open challenges and of the tokens their answers earned. Both are single-use and expire;
 * both live in the process (a restart forgets them: a challenge or a token in flight is then refused and simply asked
 * for again). Each holds at most `capacity` entries, so a flood of requests cannot grow memory without bound.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FaceError } from '../errors.js';
import type { Challenge } from './types.js';

export const DEFAULT_CAPACITY = 10_000;
/** How long a token stays valid after the challenge it answered (default 2 min). */
export const DEFAULT_TOKEN_TTL_MS = 120_000;
/** How long a spent or expired token is remembered, so that it is refused by name (USED, EXPIRED), not as unknown. */
const REMEMBER_MS = 10 * 60_000;

function full(what: string, capacity: number): FaceError {
  return new FaceError('QUEUE_FULL', `${capacity} ${what} are open: try again in a minute`, { retryAfter: 60 });
}

export class ChallengeStore {
  private readonly open = new Map<string, Challenge>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  add(challenge: Challenge, now: number): void {
    for (const [id, c] of this.open) if (c.deadline < now) this.open.delete(id);
    if (this.open.size >= this.capacity) throw full('challenges', this.capacity);
    this.open.set(challenge.id, challenge);
  }

  /** The challenge, removed: it can be answered once. CHALLENGE_NOT_FOUND for an unknown or answered id. */
  take(id: string): Challenge {
    const c = this.open.get(id);
    if (!c)
      throw new FaceError(
        'CHALLENGE_NOT_FOUND',
        'no open challenge has this id: it was never issued, was already answered (each challenge is answered ' +
          'once), or the server restarted; ask for a new one',
      );
    this.open.delete(id);
    return c;
  }

  get size(): number {
    return this.open.size;
  }
}

/** What a token stands for: the challenge answered and the face that answered it. */
export interface TokenBinding {
  readonly challengeId: string;
  /** The answering face's embedding (the pack's), from a frame facing the camera. */
  readonly embedding: Float32Array;
}

interface TokenRecord {
  readonly binding: TokenBinding;
  readonly expiresAt: number;
  used: boolean;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: number;
}

const keyOf = (token: string) => createHash('sha256').update(token).digest('base64url');

export class TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();

  constructor(
    private readonly ttlMs = DEFAULT_TOKEN_TTL_MS,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  private sweep(now: number): void {
    for (const [k, r] of this.tokens) if (r.expiresAt + REMEMBER_MS < now) this.tokens.delete(k);
  }

  /** A new token for this binding, valid for one use until `expiresAt`. */
  issue(binding: TokenBinding, now: number): IssuedToken {
    this.sweep(now);
    if (this.tokens.size >= this.capacity) throw full('liveness tokens', this.capacity);
    const token = `flt_${randomBytes(32).toString('base64url')}`;
    const expiresAt = now + this.ttlMs;
    this.tokens.set(keyOf(token), { binding, expiresAt, used: false });
    return { token, expiresAt };
  }

  /** The token's binding, the token spent. LIVENESS_TOKEN_INVALID, _EXPIRED or _USED otherwise. */
  consume(token: string, now: number): TokenBinding {
    const r = typeof token === 'string' && token.length <= 100 ? this.tokens.get(keyOf(token)) : undefined;
    if (!r)
      throw new FaceError(
        'LIVENESS_TOKEN_INVALID',
        'this liveness token was not issued by this server (or the server restarted since): answer a new challenge',
      );
    if (r.used)
      throw new FaceError(
        'LIVENESS_TOKEN_USED',
        'this liveness token was already used: each admits one verify or enroll; answer a new challenge',
      );
    if (now > r.expiresAt)
      throw new FaceError(
        'LIVENESS_TOKEN_EXPIRED',
        `this liveness token expired ${Math.round((now - r.expiresAt) / 1000)} s ago: answer a new challenge`,
        { expiredAt: new Date(r.expiresAt).toISOString() },
      );
    r.used = true;
    return r.binding;
  }

  get size(): number {
    return this.tokens.size;
  }
}
