import { sql, type Kysely } from 'kysely';
import { conflict, type MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';

/**
 * Refs are files and folders to git: `refs/heads/a` and `refs/heads/a/b` cannot both exist, and
 * a client that fetched both fails every later fetch ("cannot process … at the same time").
 * git's ref transactions refuse such a creation (`refs_verify_refname_available`); these are the
 * same rules over the `refs` table, with git's own wording.
 */

/** The names a ref would have to be a folder of: `refs/heads/a` for `refs/heads/a/b`. */
export function refAncestors(name: string): string[] {
  const ancestors: string[] = [];
  for (let slash = name.indexOf('/'); slash !== -1; slash = name.indexOf('/', slash + 1)) {
    ancestors.push(name.slice(0, slash));
  }
  return ancestors;
}

function isAncestor(ancestor: string, name: string): boolean {
  return name.length > ancestor.length && name.startsWith(ancestor) && name[ancestor.length] === '/';
}

/** git's message for a ref that exists as a file where the new one needs a folder, or the reverse. */
export function existingRefConflict(name: string, existing: string): MegaError {
  return conflict('ref_name_conflict', `cannot lock ref '${name}': '${existing}' exists`, {
    ref: name,
    existing,
  });
}

/**
 * Two refs created by one update that are file and folder of each other (git's wording for the
 * same case in one transaction). Returns the first such pair's error, or undefined.
 */
export function batchConflict(created: readonly string[]): MegaError | undefined {
  const sorted = [...created].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // In byte order a ref's descendants follow it, possibly after siblings such as `a-b` or `a.b`,
  // which sort before `a/b` only when their byte is below '/': so compare against every later name
  // until one no longer starts with the ref.
  for (let i = 0; i < sorted.length; i++) {
    const name = sorted[i] as string;
    for (let j = i + 1; j < sorted.length && (sorted[j] as string).startsWith(name); j++) {
      const other = sorted[j] as string;
      if (isAncestor(name, other)) {
        return conflict(
          'ref_name_conflict',
          `cannot lock ref '${name}': cannot process '${name}' and '${other}' at the same time`,
          { ref: name, existing: other },
        );
      }
    }
  }
  return undefined;
}

/**
 * Checks, inside the caller's transaction, that `name` can be created: no stored ref is its
 * ancestor or descendant, except refs this same transaction deletes (`deleting`). The caller
 * holds the repository's creation lock (`lockRefCreation`), so two transactions cannot each
 * create one half of a conflicting pair.
 */
export async function checkRefAvailable(
  trx: Kysely<Database>,
  repoId: number,
  name: string,
  deleting: ReadonlySet<string>,
): Promise<void> {
  const ancestors = refAncestors(name);
  const folder = `${name}/`;
  // substr rather than LIKE: LIKE escaping and text collations differ between the databases.
  const rows = await trx
    .selectFrom('refs')
    .select('ref_name')
    .where('repo_id', '=', repoId)
    .where((eb) =>
      eb.or([
        ...(ancestors.length > 0 ? [eb('ref_name', 'in', ancestors)] : []),
        eb(sql<string>`substr(ref_name, 1, ${folder.length})`, '=', folder),
      ]),
    )
    .execute();
  const existing = rows
    .map((row) => row.ref_name)
    .filter((ref) => !deleting.has(ref) && (isAncestor(ref, name) || isAncestor(name, ref)))
    .sort();
  if (existing.length > 0) throw existingRefConflict(name, existing[0] as string);
}

/**
 * Serializes the transactions that create refs in one repository by locking its row (PostgreSQL,
 * MySQL). Without it, two pushes could each check that the other's half of `a` / `a/b` is absent
 * and both insert. SQLite admits one writing transaction at a time, which serializes them already.
 */
export async function lockRefCreation(
  trx: Kysely<Database>,
  capabilities: DialectCapabilities,
  repoId: number,
): Promise<void> {
  if (!capabilities.rowLocks) return;
  await trx.selectFrom('repositories').select('id').where('id', '=', repoId).forUpdate().execute();
}
