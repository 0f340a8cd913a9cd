import type { Kysely } from 'kysely';
import type { Database } from '../../src/storage/database.js';

/**
 * A bare `repositories` row written with SQL, without the repository store (for tests of the
 * schema as migrated and of writers below the store), and its id.
 */
export async function insertRepositoryRow(db: Kysely<Database>, path: string): Promise<number> {
  const now = new Date().toISOString();
  await db
    .insertInto('repositories')
    .values({
      path,
      kind: 'hosted',
      head_ref: 'refs/heads/main',
      object_format: 'sha1',
      description: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const row = await db
    .selectFrom('repositories')
    .select('id')
    .where('path', '=', path)
    .executeTakeFirstOrThrow();
  return Number(row.id);
}
