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

/** Up to this many new names, the refs they could clash with are looked up name by name. */
const PER_NAME_LOOKUPS = 16;

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The stored refs that new names of one transaction could clash with, read once inside it (the
 * caller holds `lockRefCreation`, so nobody adds a ref meanwhile). A few new names are looked up
 * one by one (their ancestors by key, their descendants by prefix); many (a mirror push of
 * thousands of tags) read the repository's ref names once, instead of once per name.
 */
export class RefNamespace {
  /** Names created by this transaction so far (`created`). */
  private readonly added = new Set<string>();

  private constructor(private readonly stored: readonly string[]) {}

  static async load(
    trx: Kysely<Database>,
    repoId: number,
    creating: readonly string[],
  ): Promise<RefNamespace> {
    if (creating.length === 0) return new RefNamespace([]);
    const names = new Set<string>();
    if (creating.length > PER_NAME_LOOKUPS) {
      const rows = await trx.selectFrom('refs').select('ref_name').where('repo_id', '=', repoId).execute();
      for (const row of rows) names.add(row.ref_name);
    } else {
      for (const name of creating) {
        for (const found of await clashCandidates(trx, repoId, name)) names.add(found);
      }
    }
    return new RefNamespace([...names].sort(byteOrder));
  }

  /**
   * The stored (or earlier created) ref that `name` would be file or folder of, disregarding
   * `ignoring` (refs the same transaction deletes); undefined when `name` can be created.
   */
  clashFor(name: string, ignoring: ReadonlySet<string> = new Set()): string | undefined {
    const counts = (ref: string) => !ignoring.has(ref);
    for (const ancestor of refAncestors(name)) {
      if ((this.added.has(ancestor) || this.has(ancestor)) && counts(ancestor)) return ancestor;
    }
    // Names under `name/` are contiguous in sorted order: start at the first one not below it.
    const folder = `${name}/`;
    for (let i = this.lowerBound(folder); i < this.stored.length; i++) {
      const ref = this.stored[i] as string;
      if (!ref.startsWith(folder)) break;
      if (counts(ref)) return ref;
    }
    for (const ref of this.added) if (ref.startsWith(folder) && counts(ref)) return ref;
    return undefined;
  }

  /** Records a ref this transaction created, for the names checked after it. */
  created(name: string): void {
    this.added.add(name);
  }

  private has(name: string): boolean {
    return this.stored[this.lowerBound(name)] === name;
  }

  private lowerBound(key: string): number {
    let low = 0;
    let high = this.stored.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.stored[middle] as string) < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** Stored refs that are an ancestor (by key) or a descendant (by prefix) of `name`. */
async function clashCandidates(trx: Kysely<Database>, repoId: number, name: string): Promise<string[]> {
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
  return rows.map((row) => row.ref_name);
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
