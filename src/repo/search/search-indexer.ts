import type { CommitSummary } from '../../git/commit.js';
import type { ObjectType } from '../../git/object.js';
import type { ObjectId } from '../../git/object-id.js';
import { entryKind } from '../../git/tree.js';
import type { Repository } from '../../storage/repository-store.js';
import type { IndexedFile, SearchHead, SkippedFile } from '../../storage/search/search-store.js';
import type { Storage } from '../../storage/storage.js';
import { ObjectReader } from '../browse/object-reader.js';
import { diffTrees, isBinary } from '../browse/tree-diff.js';
import { SingleReadObjectSource } from '../single-read-objects.js';
import { appendAll } from '../../platform/append-all.js';
import type { ForegroundWork } from '../../platform/foreground-work.js';

/** Files bigger than this are not indexed (recorded as skipped, `too_large`). */
export const MAX_INDEXED_FILE_BYTES = 1024 * 1024;
/** Files read per batch (one size query and one `readMany`). */
const READ_BATCH = 200;
/** Text written per transaction of one index step (a full index of git/git is ~10 of them). */
const MAX_STEP_BYTES = 4 * 1024 * 1024;
/** The head ref recorded while a step of several transactions is being written. */
const BUILDING = 'building';

export interface SearchIndexerOptions {
  readonly maxFileBytes?: number;
  readonly maxStepBytes?: number;
  /**
   * Requests the indexer gives way to: it waits at `pause()` before each tree read, each batch
   * of files and each transaction (git requests in `mega serve`; nothing in the CLI).
   */
  readonly yieldTo?: Pick<ForegroundWork, 'pause'>;
}

export type IndexStatus = 'indexed' | 'updated' | 'up_to_date' | 'missing' | 'raced';

/** What one `sync` did to a repository's index. */
export interface IndexOutcome {
  readonly path: string;
  readonly status: IndexStatus;
  readonly commitId?: string | null;
  /** Files written (added or changed) by this step. */
  readonly written?: number;
  readonly removed?: number;
  readonly skipped?: number;
}

/**
 * Keeps the search index (`storage.search`) at each repository's default branch. `sync(path)`
 * compares the branch with the commit the index records: nothing to do when they agree; the
 * changed paths only (a tree diff) when an earlier commit is recorded; every file otherwise.
 * Steps of one repository run one after the other in this process; across servers the store's
 * compare-and-swap on the recorded commit makes a late step give up (`raced`) instead of
 * overwriting a newer one.
 */
export class SearchIndexer {
  private readonly running = new Map<string, Promise<IndexOutcome>>();

  constructor(
    private readonly storage: Storage,
    private readonly options: SearchIndexerOptions = {},
  ) {}

  /** Brings one repository's index to its default branch (serialised per path). */
  sync(path: string): Promise<IndexOutcome> {
    const previous = this.running.get(path) ?? Promise.resolve(undefined);
    const next = previous.then(
      () => this.syncNow(path),
      () => this.syncNow(path),
    );
    this.running.set(path, next);
    void next
      .finally(() => {
        if (this.running.get(path) === next) this.running.delete(path);
      })
      .catch(() => {});
    return next;
  }

  /**
   * Every repository, from scratch when `rebuild` (forgetting what was recorded), and the rows
   * of repositories that no longer exist dropped.
   */
  async syncAll(
    options: { readonly rebuild?: boolean; readonly onOutcome?: (outcome: IndexOutcome) => void } = {},
  ): Promise<IndexOutcome[]> {
    const repositories = await this.storage.repositories.list();
    const live = new Map(repositories.map((repository) => [repository.id, repository.path]));
    for (const head of await this.storage.search.heads()) {
      if (live.get(head.repoId) !== head.repoPath || options.rebuild)
        await this.storage.search.forget(head.repoId);
    }
    const outcomes: IndexOutcome[] = [];
    for (const repository of repositories) {
      const outcome = await this.sync(repository.path);
      options.onOutcome?.(outcome);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  /** Per repository: the commit indexed against its default branch now (a lagging index shows). */
  async status(): Promise<IndexState[]> {
    const heads = new Map((await this.storage.search.heads()).map((head) => [head.repoId, head]));
    const states: IndexState[] = [];
    for (const repository of await this.storage.repositories.list()) {
      const head = heads.get(repository.id);
      const indexed = head && head.repoPath === repository.path ? head : undefined;
      const branchCommit = (await this.storage.refs.get(repository.id, repository.headRef)) ?? null;
      states.push({
        path: repository.path,
        headRef: repository.headRef,
        branchCommit,
        indexedCommit: indexed ? indexed.commitId : undefined,
        current:
          indexed !== undefined &&
          indexed.headRef === repository.headRef &&
          indexed.commitId === branchCommit,
        files: indexed?.files ?? 0,
        skipped: indexed?.skipped.length ?? 0,
      });
    }
    return states;
  }

  private async syncNow(path: string): Promise<IndexOutcome> {
    const repository = await this.storage.repositories.find(path);
    if (!repository) return { path, status: 'missing' };
    const recorded = await this.storage.search.head(repository.id);
    const trusted = recorded && recorded.repoPath === repository.path ? recorded : undefined;
    const commitId = (await this.storage.refs.get(repository.id, repository.headRef)) ?? null;
    if (trusted && trusted.headRef === repository.headRef && trusted.commitId === commitId) {
      return { path, status: 'up_to_date', commitId };
    }
    const reader = new ObjectReader(new StoredObjects(this.storage, repository.id, () => this.pause()));
    const newTree = commitId ? (await reader.commit(commitId)).tree : undefined;
    const incremental = trusted?.commitId && trusted.headRef === repository.headRef ? trusted : undefined;
    const plan = incremental
      ? await this.changedFiles(reader, incremental, newTree)
      : { add: newTree ? await listFiles(reader, newTree) : [], remove: [], keptSkips: [] };

    const read = await this.readTexts(repository, plan.add);
    // A big step is written as several transactions (SQLite serves every query on one connection,
    // so one long write would stall the server): the first ones record the head as `building`
    // with no commit, the last one the commit. An interrupted build is not trusted next time
    // (its head ref is not the branch's) and starts over.
    const steps = splitByBytes(read.files, this.options.maxStepBytes ?? MAX_STEP_BYTES);
    let applied = true;
    for (let index = 0; index < steps.length && applied; index += 1) {
      await this.pause();
      const last = index === steps.length - 1;
      applied = await this.storage.search.apply({
        repoId: repository.id,
        repoPath: repository.path,
        headRef: last ? repository.headRef : BUILDING,
        commitId: last ? commitId : null,
        expectedCommitId: index === 0 ? (trusted?.commitId ?? null) : null,
        replaceAll: !incremental && index === 0,
        remove: index === 0 ? plan.remove : [],
        add: steps[index]!,
        skipped: last ? [...plan.keptSkips, ...read.skipped] : [],
      });
    }
    if (!applied) return { path, status: 'raced', commitId };
    return {
      path,
      status: incremental ? 'updated' : 'indexed',
      commitId,
      written: read.files.length,
      removed: plan.remove.length,
      skipped: read.skipped.length,
    };
  }

  /** Waits while the requests it gives way to run (at once when there are none). */
  private async pause(): Promise<void> {
    await this.options.yieldTo?.pause();
  }

  /** The paths to rewrite and to drop between the recorded commit's tree and `newTree`. */
  private async changedFiles(reader: ObjectReader, recorded: SearchHead, newTree: ObjectId | undefined) {
    const oldTree = (await reader.commit(recorded.commitId as ObjectId)).tree;
    const changes = await diffTrees(reader, oldTree, newTree, Number.POSITIVE_INFINITY);
    const add: FileEntry[] = [];
    const remove: string[] = [];
    for (const change of changes) {
      if (change.newId && change.newMode && entryKind(change.newMode) === 'blob') {
        add.push({ path: change.path, id: change.newId });
      } else remove.push(change.path);
    }
    const touched = new Set(changes.map((change) => change.path));
    const keptSkips = recorded.skipped.filter((skip) => !touched.has(skip.path));
    return { add, remove, keptSkips };
  }

  /** The text of each file, leaving out binaries and files over the size cap. */
  private async readTexts(repository: Repository, entries: readonly FileEntry[]) {
    const maxBytes = this.options.maxFileBytes ?? MAX_INDEXED_FILE_BYTES;
    const files: IndexedFile[] = [];
    const skipped: SkippedFile[] = [];
    const decoder = new TextDecoder('utf-8');
    for (let start = 0; start < entries.length; start += READ_BATCH) {
      await this.pause();
      const batch = entries.slice(start, start + READ_BATCH);
      const small: FileEntry[] = [];
      // Sizes first: a big blob is never inflated whole just to be skipped.
      const sizes = await this.storage.search.blobSizes(
        repository.id,
        batch.map((entry) => entry.id),
      );
      for (const entry of batch) {
        const size = sizes.get(entry.id);
        if (size === undefined) continue;
        if (size > maxBytes) skipped.push({ path: entry.path, reason: 'too_large' });
        else small.push(entry);
      }
      const contents = new Map<string, Buffer>();
      for await (const object of this.storage.objects.readMany(
        repository.id,
        small.map((entry) => entry.id),
      )) {
        contents.set(object.id, object.data);
      }
      for (const entry of small) {
        const data = contents.get(entry.id);
        if (!data) continue;
        if (isBinary(data)) skipped.push({ path: entry.path, reason: 'binary' });
        // Invalid UTF-8 becomes U+FFFD: such files are searchable by their ASCII parts.
        else
          files.push({
            path: entry.path,
            blobId: entry.id,
            size: data.length,
            content: decoder.decode(data),
          });
      }
    }
    return { files, skipped };
  }
}

export interface IndexState {
  readonly path: string;
  readonly headRef: string;
  readonly branchCommit: string | null;
  /** Undefined: never indexed. */
  readonly indexedCommit: string | null | undefined;
  /** The index reflects the default branch as it is now. */
  readonly current: boolean;
  readonly files: number;
  readonly skipped: number;
}

/** `files` cut into runs of about `maxBytes` of text each; always at least one (maybe empty) run. */
function splitByBytes(files: readonly IndexedFile[], maxBytes: number): IndexedFile[][] {
  const steps: IndexedFile[][] = [[]];
  let bytes = 0;
  for (const file of files) {
    if (bytes > 0 && bytes + file.content.length > maxBytes) {
      steps.push([]);
      bytes = 0;
    }
    steps.at(-1)!.push(file);
    bytes += file.content.length;
  }
  return steps;
}

interface FileEntry {
  readonly path: string;
  readonly id: ObjectId;
}

/** Every regular file (not symlinks or submodules) under `tree`, with its path. */
async function listFiles(reader: ObjectReader, tree: ObjectId, prefix = ''): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for (const entry of await reader.tree(tree)) {
    const kind = entryKind(entry.mode);
    if (kind === 'tree') appendAll(out, await listFiles(reader, entry.id, `${prefix}${entry.name}/`));
    else if (kind === 'blob') out.push({ path: `${prefix}${entry.name}`, id: entry.id });
  }
  return out;
}

/**
 * Reads of one stored repository's objects, for the tree walks and diffs above; each read first
 * gives way (`pause`): listing a big branch reads thousands of trees.
 */
class StoredObjects extends SingleReadObjectSource {
  constructor(
    private readonly storage: Storage,
    private readonly repoId: number,
    private readonly pause: () => Promise<void>,
  ) {
    super();
  }

  hasObjects(ids: readonly ObjectId[]): Promise<ReadonlySet<ObjectId>> {
    return this.storage.objects.has(this.repoId, ids);
  }

  async readObject(id: ObjectId): Promise<{ type: ObjectType; content: Buffer } | undefined> {
    await this.pause();
    const object = await this.storage.objects.read(this.repoId, id);
    return object ? { type: object.type, content: object.data } : undefined;
  }

  async readCommit(id: ObjectId): Promise<CommitSummary | undefined> {
    return (await this.storage.objects.readCommits(this.repoId, [id])).get(id);
  }
}
