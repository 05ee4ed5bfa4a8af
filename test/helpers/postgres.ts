/** The PostgreSQL server tests run against (FACENET_TEST_PG_URL), and a fresh schema per test. */
import pg from 'pg';

export const PG_URL = process.env.FACENET_TEST_PG_URL;
/** A skip message (node:test's `skip`) when no server is configured, else undefined. */
export const PG_UNAVAILABLE = PG_URL
  ? undefined
  : 'FACENET_TEST_PG_URL not set: run scripts/postgres/start.sh and export the URL it prints';

export type After = { after: (fn: () => void | Promise<void>) => void };

let counter = 0;
export function schemaName(): string {
  return `ft_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}

export function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** A fresh schema's gallery URL; the schema is dropped after the test. */
export async function freshPgGallery(t: After): Promise<string> {
  const schema = schemaName();
  t.after(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      // a server on the gallery keeps its video job queue (pg-boss) beside it
      await c.query(`DROP SCHEMA IF EXISTS "${schema}_jobs" CASCADE`);
    } finally {
      await c.end();
    }
  });
  return withSchema(PG_URL!, schema);
}
