import type { FsckPolicy } from '../git/fsck-report.js';
import { objectFormatByName, SHA1 } from '../git/object-format.js';
import { PackFsck, type FsckProblem } from '../git/pack-fsck.js';
import { checkDotfiles } from './ingest-fsck.js';
import type { Repository } from './repository-store.js';
import type { StorageScope } from './storage.js';

/** Object ids listed per query while walking a repository's membership. */
const PAGE = 2000;

export interface RepositoryFsckSummary {
  readonly objects: number;
  readonly errors: number;
  readonly warnings: number;
}

/**
 * `git fsck --strict` over a stored repository (data stored before pushes were checked, or
 * written around the checks): every commit, tree and tag with git's rules, every link between
 * them by type, links to objects the repository lacks, and the `.gitmodules`/`.gitattributes`
 * blobs its trees name. Objects are read page by page; blobs are read only when a tree names
 * them as a dotfile. Every problem goes to `onProblem`.
 */
export async function fsckStoredRepository(
  storage: StorageScope,
  repository: Repository,
  policy: FsckPolicy,
  onProblem: (problem: FsckProblem) => void,
): Promise<RepositoryFsckSummary> {
  let errors = 0;
  let warnings = 0;
  const report = (problem: FsckProblem) => {
    if (problem.severity === 'error') errors++;
    else warnings++;
    onProblem(problem);
  };
  const format = objectFormatByName(repository.objectFormat) ?? SHA1;
  const checker = new PackFsck(format, policy, report);
  let objects = 0;
  let after = '';
  for (;;) {
    const rows = await storage.scan.memberTypes(repository.id, after, PAGE);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;
    const parsed: string[] = [];
    for (const row of rows) {
      if (row.type === 'blob') checker.noteBlob(row.id);
      else parsed.push(row.id);
    }
    objects += rows.length;
    for await (const object of storage.objects.readMany(repository.id, parsed)) {
      checker.add(object.id, object.type, object.data);
    }
  }
  const { externalLinks, pendingDotfiles } = checker.finishPack();
  for (const [id, type] of externalLinks) {
    report({
      object: id,
      severity: 'error',
      line: `object ${id}: missing ${type}, but something points to it`,
    });
  }
  await checkDotfiles(checker, storage.objects, repository.id, pendingDotfiles);
  return { objects, errors, warnings };
}
