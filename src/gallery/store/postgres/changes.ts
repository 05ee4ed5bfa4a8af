/**
 * Following a shared gallery's changes. Every write appends to `<schema>.changes` and sends `pg_notify` on the
 * channel `facenet_gallery_changes.<schema>`, delivered at commit; a watcher LISTENs there and reads the log past
 * the last generation it saw, so what it missed while disconnected is replayed once it has reconnected.
 * Neither the log nor the notifications carry names (a forgotten person's name must leave the database): a watcher
 * reads the name from `people`, where a forgotten person no longer is.
 */
import pg from 'pg';
import type { ClientConfig, PoolClient } from 'pg';
import { FaceError } from '../../../errors.js';
import { changeLogPruneTo } from '../store-rules.js';
import type { StoreChange } from '../store.js';
import { pgError, type PgLocation } from './location.js';

/** Prefix of the LISTEN/NOTIFY channel; the schema name follows it. */
export const NOTIFY_CHANNEL = 'facenet_gallery_changes';

/**
 * Whose changes a listener follows: the gallery's schema and channel, and the origin of the watching store's own
 * writes.
 */
export interface ChangeSource {
  /** The quoted schema name. */
  readonly quotedSchema: string;
  readonly channel: string;
  /** Identifies the watching store's own writes in the change log: they are not reported back to it. */
  readonly origin: string;
}

/**
 * Bump the generation, append to the change log, notify listeners (delivered at commit), in the writer's transaction
 * `c`.
 */
export async function logChanges(
  c: PoolClient,
  source: ChangeSource,
  kind: StoreChange['kind'],
  changes: readonly { personId: number }[],
): Promise<void> {
  const s = source.quotedSchema;
  const g = (
    await c.query<{ value: number }>(
      `UPDATE ${s}.store_state SET value = value + 1 WHERE key = 'generation' RETURNING value`,
    )
  ).rows[0].value;
  await c.query(
    `INSERT INTO ${s}.changes (generation, person_id, kind, origin)
     SELECT $1, p, $2, $3 FROM unnest($4::bigint[]) AS p`,
    [g, kind, source.origin, changes.map((x) => x.personId)],
  );
  // payload: what changed, without the name (listeners read the log and `people` anyway)
  const payloads = changes.map((x) => JSON.stringify({ kind, personId: x.personId, generation: g }));
  await c.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [source.channel, payloads]);
  const pruneTo = changeLogPruneTo(g);
  if (pruneTo !== undefined) await c.query(`DELETE FROM ${s}.changes WHERE generation <= $1`, [pruneTo]);
}

/** One watch(): a LISTEN connection plus the change-log catch-up, reconnecting with backoff. */
export class ChangeListener {
  private client?: pg.Client;
  private last = 0;
  private live = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private backoff = 100;
  private failing = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ChangeSource,
    private readonly where: PgLocation,
    private readonly config: ClientConfig,
    private readonly onChange: (change: StoreChange) => void,
    private readonly onError: (e: FaceError) => void,
  ) {}

  async start(): Promise<void> {
    await this.connect();
    // start after everything committed so far: LISTEN is already in place, so nothing later is missed
    this.last = await this.currentGeneration(this.client!);
    this.live = true;
  }

  private async currentGeneration(c: pg.Client): Promise<number> {
    return (
      (
        await c.query<{ value: number }>(
          `SELECT value FROM ${this.store.quotedSchema}.store_state WHERE key = 'generation'`,
        )
      ).rows[0]?.value ?? 0
    );
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      ...this.config,
      application_name: `facenet-ts listen ${this.where.schema}`.slice(0, 63),
    });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => {
      if (n.channel === this.store.channel) this.poke();
    });
    this.client = client;
    await client.connect();
    await client.query(`LISTEN "${this.store.channel}"`);
  }

  /** Read the change log past the last generation seen; emit other writers' changes. One catch-up at a time. */
  private poke(): void {
    this.chain = this.chain.then(() => this.catchUp()).catch((e) => this.report(e));
  }

  private async catchUp(): Promise<void> {
    const c = this.client;
    if (!c || this.stopped) return;
    const s = this.store.quotedSchema;
    // one statement, one snapshot: the log past `last` and the generation it must reach
    const rows = (
      await c.query<{
        current: number;
        generation: number | null;
        person_id: number;
        kind: string;
        name: string | null;
        origin: string;
      }>(
        `SELECT g.value AS current, c.generation, c.person_id, c.kind, p.name, c.origin
         FROM ${s}.store_state g LEFT JOIN ${s}.changes c ON c.generation > $1
         LEFT JOIN ${s}.people p ON p.id = c.person_id
         WHERE g.key = 'generation' ORDER BY c.generation, c.person_id`,
        [this.last],
      )
    ).rows;
    const current = rows[0]?.current ?? this.last;
    const first = rows[0]?.generation ?? current + 1;
    if (current > this.last && first !== this.last + 1)
      this.report(
        new FaceError(
          'GALLERY_ERROR',
          `changes ${this.last + 1}–${Math.min(first - 1, current)} are ` +
            'no longer in the change log; reopen the gallery to see them',
        ),
      );
    for (const r of rows) {
      if (r.generation === null) continue;
      this.last = Math.max(this.last, r.generation);
      if (r.origin === this.store.origin || this.stopped) continue;
      if (r.kind !== 'enroll' && r.kind !== 'forget') continue;
      try {
        this.onChange({ kind: r.kind, personId: r.person_id, ...(r.name === null ? {} : { name: r.name }) });
      } catch (e) {
        this.report(e);
      }
    }
    this.last = Math.max(this.last, current);
  }

  private lost(client: pg.Client, e?: Error): void {
    if (client !== this.client) return; // an old connection's late events
    this.client = undefined;
    client.removeAllListeners('notification');
    client.on('error', () => {});
    client.end().catch(() => {});
    if (this.stopped || !this.live) return; // start() fails with the error itself
    this.report(e ?? new FaceError('GALLERY_ERROR', 'the LISTEN connection was closed'), true);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reconnect();
    }, this.backoff);
    this.timer.unref?.();
    this.backoff = Math.min(this.backoff * 2, 10_000);
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.connect();
      if (this.stopped) return void (await this.client?.end().catch(() => {}));
      this.backoff = 100;
      if (this.failing) {
        this.failing = false;
        this.onError(
          new FaceError(
            'GALLERY_ERROR',
            `gallery ${this.where.display}: change notifications reconnected; replaying missed changes`,
            { gallery: this.where.display },
          ),
        );
      }
      this.poke(); // replay what was committed while disconnected
    } catch (e) {
      const c = this.client;
      this.client = undefined;
      c?.removeAllListeners();
      c?.on('error', () => {});
      await c?.end().catch(() => {});
      this.report(e, true);
      this.schedule();
    }
  }

  /** Report trouble once per outage (connection errors) or every time (anything else). */
  private report(e: unknown, connection = false): void {
    if (this.stopped) return;
    if (connection) {
      if (this.failing) return;
      this.failing = true;
    }
    try {
      this.onError(pgError(this.where, e, connection ? 'change notifications of gallery' : 'gallery'));
    } catch {
      // a throwing error handler must not take the process down either
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => {});
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners('notification');
      c.on('error', () => {});
      await c.end().catch(() => {});
    }
  }
}
