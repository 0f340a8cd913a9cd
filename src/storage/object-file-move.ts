import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { ObjectChunks } from './object-chunks.js';
import type { ObjectFiles } from './object-files.js';
import { inTransaction } from './transaction.js';

/** Rows looked up per query while moving. */
const ROWS_PER_PAGE = 100;
/** The fan-out folders of object files (`xx/` of `xx/yyyy…`). */
const FAN_OUT = /^[0-9a-f]{2}$/;

export interface FileMoveSummary {
  /** Objects now in chunk rows, their files deleted. */
  readonly moved: number;
  /** Rows whose file this data directory lacks (another server's, or lost): left as they were. */
  readonly absent: number;
}

/**
 * Moves large objects an older version stored as files under `<dataDir>/objects/` into
 * `object_chunks` rows (run when storage opens, after the schema migrations). One transaction per
 * object: its row is claimed (`storage_type` 'file' → 'chunks', `path` cleared) and its chunks
 * written together, so a crash or a second server doing the same leaves each object either moved
 * or still a file, never half. The file is deleted after the commit (a crash in between leaves a
 * stray file, nothing else). Running it again moves what is left: it is idempotent and resumable.
 * A file this data directory lacks is skipped; the server that has it moves it when it opens.
 * A data directory without object files (every new one, and every one moved) costs one
 * `readdir`, not a scan of `raw_objects`: emptied fan-out folders are removed at the end.
 */
export async function moveObjectFilesToChunks(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  files: ObjectFiles,
): Promise<FileMoveSummary> {
  let moved = 0;
  let absent = 0;
  let after = 0;
  const folders = await fanOutFolders(files);
  if (folders.length === 0) return { moved, absent };
  for (;;) {
    const rows = await db
      .selectFrom('raw_objects')
      .select(['id', 'git_id', 'path'])
      .where('storage_type', '=', 'file')
      .where('id', '>', after)
      .orderBy('id')
      .limit(ROWS_PER_PAGE)
      .execute();
    if (rows.length === 0) {
      await removeEmptyFolders(files, folders);
      return { moved, absent };
    }
    for (const row of rows) {
      after = Number(row.id);
      const file = row.path === null ? undefined : await existingFile(files, row.path);
      if (!file || row.path === null) {
        absent++;
        continue;
      }
      const stored = row.path;
      const claimed = await inTransaction(db, async (trx) => {
        const update = await trx
          .updateTable('raw_objects')
          .set({ storage_type: 'chunks', path: null })
          .where('id', '=', row.id)
          .where('storage_type', '=', 'file')
          .executeTakeFirst();
        if (Number(update.numUpdatedRows) === 0) return false;
        const chunks = new ObjectChunks(trx, capabilities);
        // Chunks of this id can only be leftovers of nothing (the claim is atomic), but a row
        // stored twice across versions must not gain a second set: start from none.
        await chunks.remove(row.git_id);
        await chunks.write(row.git_id, files.openRead(stored));
        return true;
      });
      if (claimed) {
        await rm(file, { force: true });
        moved++;
      }
    }
  }
}

/** The absolute path of a stored object file when it exists here, else undefined. */
async function existingFile(files: ObjectFiles, stored: string): Promise<string | undefined> {
  const path = files.absolutePath(stored);
  try {
    return (await stat(path)).isFile() ? path : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function fanOutFolders(files: ObjectFiles): Promise<string[]> {
  try {
    return (await readdir(files.root)).filter((name) => FAN_OUT.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Removes the fan-out folders left empty; ones still holding a file (not moved) stay. */
async function removeEmptyFolders(files: ObjectFiles, folders: readonly string[]): Promise<void> {
  for (const folder of folders) {
    await rmdir(join(files.root, folder)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST' && error.code !== 'ENOENT') throw error;
    });
  }
}
