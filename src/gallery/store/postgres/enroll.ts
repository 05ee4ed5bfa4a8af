/**
 * Enrollment into a PostgreSQL gallery: the checks made before the transaction (names, one model, one dimension),
 * then, inside the writer's transaction, people upserted and templates inserted with multi-row statements.
 */
import type { PoolClient } from 'pg';
import { FaceError } from '../../../errors.js';
import { canonicalName, nameProblem } from '../../names.js';
import { singleModelId } from '../store-rules.js';
import type { EnrollReceipt, EnrollRecord, Metadata } from '../store.js';
import { encodeVector, rowToPerson, type PersonRow } from './rows.js';

/** People per upsert (array parameters). */
const MAX_ROWS_PER_STATEMENT = 8000;
/**
 * Templates per multi-row INSERT: planning a VALUES list grows faster than linearly (8000 rows: 6k rows/s; 500: 24k).
 */
const TEMPLATE_ROWS_PER_STATEMENT = 500;

/** What an enrollment needs from the store inside its write transaction. */
export interface EnrollTarget {
  /** The quoted schema name. */
  readonly quotedSchema: string;
  /** MODEL_MISMATCH unless the gallery holds only `modelId` templates (or none). */
  assertOnlyModel(c: PoolClient, modelId: string): Promise<void>;
  /** Fix the gallery's dimension (and its index) at the first enrollment; INVALID_INPUT for another dimension. */
  ensureIndex(c: PoolClient, dim: number): Promise<void>;
  /** Record the people this enrollment changed in the change log. */
  logChanges(c: PoolClient, changes: readonly { personId: number }[]): Promise<void>;
}

/** Records checked and prepared before the transaction opens. */
export interface EnrollPlan {
  readonly records: readonly EnrollRecord[];
  /** Canonical name per record. */
  readonly names: readonly string[];
  readonly modelId: string;
  readonly dim: number;
  /** pgvector binary embeddings, per record and template. */
  readonly encoded: readonly (readonly Buffer[])[];
  /** One upsert row per distinct name, metadata merged in record order (new keys win). */
  readonly byName: ReadonlyMap<string, Metadata>;
  readonly now: Date;
}

export function planEnrollment(records: readonly EnrollRecord[]): EnrollPlan {
  const names: string[] = [];
  for (const r of records) {
    // the library's name rule (../names.ts): canonical form; checked for people this creates, inside the transaction
    const name = canonicalName(r.name);
    if (!name) throw new FaceError('INVALID_INPUT', 'a person needs a non-empty name');
    if (r.templates.length === 0) throw new FaceError('INVALID_INPUT', `enrolling ${name} needs at least one template`);
    names.push(name);
  }
  const modelId = singleModelId(records.flatMap((r) => r.templates));
  const encoded = records.map((r) => r.templates.map((t) => encodeVector(t.embedding)));
  const dim = records[0].templates[0].embedding.length;
  for (const r of records)
    for (const t of r.templates)
      if (t.embedding.length !== dim)
        throw new FaceError(
          'INVALID_INPUT',
          `one enrollment mixes embeddings of ${dim} and ${t.embedding.length} dimensions`,
        );
  const byName = new Map<string, Metadata>();
  for (const [i, r] of records.entries())
    byName.set(names[i], { ...(byName.get(names[i]) ?? {}), ...(r.metadata ?? {}) });
  return { records, names, modelId, dim, encoded, byName, now: new Date() };
}

type People = Map<string, { row: PersonRow; inserted: boolean }>;
type TemplateInsert = { id: number; personId: number; t: EnrollRecord['templates'][number]; vec: Buffer };

/** The whole enrollment inside the writer's transaction `c` (writes serialised by an advisory lock). */
export async function writeEnrollment(c: PoolClient, target: EnrollTarget, plan: EnrollPlan): Promise<EnrollReceipt[]> {
  const { records, names } = plan;
  await target.assertOnlyModel(c, plan.modelId);
  await checkModes(c, target.quotedSchema, plan);
  await target.ensureIndex(c, plan.dim);
  const people = await upsertPeople(c, target.quotedSchema, plan);
  const { rows, recordIds, skipped } = await assignTemplateIds(c, target.quotedSchema, plan, people);
  await insertTemplates(c, target.quotedSchema, plan, rows);
  await target.logChanges(
    c,
    [...people.values()].map((p) => ({ personId: p.row.id })),
  );

  const seen = new Set<string>();
  return records.map((_, i) => {
    const p = people.get(names[i])!;
    const created = p.inserted && !seen.has(names[i]);
    seen.add(names[i]);
    return { person: rowToPerson(p.row), created, templateIds: recordIds[i], skipped: skipped[i] };
  });
}

/** PERSON_EXISTS / PERSON_NOT_FOUND per record's mode, and the name rule for the people this creates. */
async function checkModes(c: PoolClient, s: string, { records, names, byName }: EnrollPlan): Promise<void> {
  // writes are serialised (advisory lock): whether a name exists cannot change before this transaction commits
  const present = new Set(
    (
      await c.query<{ name: string }>(`SELECT name FROM ${s}.people WHERE name = ANY($1::text[])`, [[...byName.keys()]])
    ).rows.map((r) => r.name),
  );
  for (const [i, r] of records.entries()) {
    if (r.mode === 'create' && present.has(names[i]))
      throw new FaceError('PERSON_EXISTS', `${names[i]} is already enrolled`, { name: names[i] });
    if (r.mode === 'add' && !present.has(names[i]))
      throw new FaceError('PERSON_NOT_FOUND', `nobody called "${names[i]}" is enrolled`, { name: names[i] });
    const problem = present.has(names[i]) ? undefined : nameProblem(names[i]);
    if (problem) throw new FaceError('INVALID_INPUT', problem, { rule: 'name' });
  }
}

async function upsertPeople(c: PoolClient, s: string, { byName, now }: EnrollPlan): Promise<People> {
  const people: People = new Map();
  const distinct = [...byName.keys()];
  for (let i = 0; i < distinct.length; i += MAX_ROWS_PER_STATEMENT) {
    const chunk = distinct.slice(i, i + MAX_ROWS_PER_STATEMENT);
    const res = await c.query<PersonRow & { inserted: boolean }>(
      `INSERT INTO ${s}.people AS p (name, metadata, created)
         SELECT n, m, $3 FROM unnest($1::text[], $2::jsonb[]) AS u(n, m)
       ON CONFLICT (name) DO UPDATE SET metadata = p.metadata || EXCLUDED.metadata
       RETURNING id, name, metadata, created, (xmax = 0) AS inserted`,
      [chunk, chunk.map((n) => JSON.stringify(byName.get(n))), now],
    );
    for (const r of res.rows) people.set(r.name, { row: r, inserted: r.inserted });
  }
  return people;
}

/** Ids for the new templates, per record: a photo the person already has keeps its template (listed as skipped). */
async function assignTemplateIds(
  c: PoolClient,
  s: string,
  { records, names, modelId, encoded }: EnrollPlan,
  people: People,
): Promise<{ rows: TemplateInsert[]; recordIds: number[][]; skipped: number[][] }> {
  // template ids drawn up front, so each record's ids are known and ascending in record order
  const total = records.reduce((n, r) => n + r.templates.length, 0);
  const ids = (
    await c.query<{ id: number }>(
      `SELECT nextval(pg_get_serial_sequence('${s}.templates', 'id')) AS id FROM generate_series(1, $1)`,
      [total],
    )
  ).rows
    .map((r) => r.id)
    .sort((a, b) => a - b);
  // a photo the person already has (same bytes, same model) is not stored twice: the existing template stands
  const personIds = [...new Set([...people.values()].map((p) => p.row.id))];
  const have = new Map(
    (
      await c.query<{ id: number; person_id: number; source_sha256: string }>(
        `SELECT id, person_id, source_sha256 FROM ${s}.templates WHERE person_id = ANY($1::bigint[]) AND model_id = $2`,
        [personIds, modelId],
      )
    ).rows.map((r) => [`${r.person_id}:${r.source_sha256}`, r.id]),
  );
  const rows: TemplateInsert[] = [];
  const recordIds: number[][] = records.map(() => []);
  const skipped: number[][] = records.map(() => []);
  let k = 0;
  for (const [i, r] of records.entries())
    for (const [j, t] of r.templates.entries()) {
      const personId = people.get(names[i])!.row.id;
      const key = `${personId}:${t.sourceSha256}`;
      const existing = have.get(key);
      if (existing !== undefined) {
        recordIds[i].push(existing);
        skipped[i].push(j);
        continue;
      }
      const id = ids[k++];
      have.set(key, id);
      recordIds[i].push(id);
      rows.push({ id, personId, t, vec: encoded[i][j] });
    }
  return { rows, recordIds, skipped };
}

async function insertTemplates(
  c: PoolClient,
  s: string,
  { modelId, now }: EnrollPlan,
  rows: readonly TemplateInsert[],
): Promise<void> {
  const perRow = 6;
  for (let i = 0; i < rows.length; i += TEMPLATE_ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + TEMPLATE_ROWS_PER_STATEMENT);
    const values: unknown[] = [modelId, now];
    const tuples = chunk.map((r, j) => {
      const b = 3 + j * perRow;
      values.push(r.id, r.personId, r.vec, r.t.sourceSha256, r.t.detectionScore, r.t.faceSize);
      return (
        `($${b}::bigint, $${b + 1}::bigint, $1, $${b + 2}::vector, ` +
        `$${b + 3}, $${b + 4}::float8, $${b + 5}::float8, $2::timestamptz)`
      );
    });
    await c.query(
      `INSERT INTO ${s}.templates (id, person_id, model_id, embedding, source_sha256, ` +
        `detection_score, face_size, created) VALUES ${tuples.join(', ')}`,
      values,
    );
    const thumbs = chunk.filter((r) => r.t.thumbnail);
    if (thumbs.length)
      await c.query(
        `INSERT INTO ${s}.thumbnails (template_id, jpeg) ` +
          `VALUES ${thumbs.map((_, j) => `($${2 * j + 1}::bigint, $${2 * j + 2}::bytea)`).join(', ')}`,
        thumbs.flatMap((r) => [
          r.id,
          Buffer.from(r.t.thumbnail!.buffer, r.t.thumbnail!.byteOffset, r.t.thumbnail!.byteLength),
        ]),
      );
  }
}
