import { parseCommit } from '../git/commit.js';
import type { ObjectId } from '../git/object-id.js';
import { FileMode, entryKind, serializeTree } from '../git/tree.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { isMegaError, notFound, unavailable } from '../platform/errors.js';
import type { Repository } from '../storage/repository-store.js';
import type { DirectoryTreeRecord } from '../storage/monorepo/directory-store.js';
import { writeBLink } from './b-link.js';
import { parseDirectoryPath, splitPath } from './directory-path.js';
import { DEFAULT_BRANCH, type MonorepoDeps } from './ports.js';
import { PendingObjects } from './pending-objects.js';
import { buildViewCommit, megaIdent } from './synthetic-commit.js';
import { locatePath, readBLink, type LocatedPath } from './locate-path.js';
import { entryAtPath, replaceAtPath } from './tree-edit.js';

/** The directory repository's path: the root of every URL. */
export const DIRECTORY_PATH = '/';

/**
 * Fixed time of the first directory commit (the seed's schema date, 2023-08-03), so that
 * `mega init` gives the same commit id on every installation.
 */
export const INIT_TIME = 1_691_020_800;
const ADD_LINK_ATTEMPTS = 5;

export const INIT_READMES: ReadonlyArray<readonly [path: string, text: string]> = [
  [
    'README.md',
    '# Mega\n\nThe Mega directory. `projects/` holds first-party repositories (pushes open merge\nrequests), `import/` holds third-party repositories with their full history.\n',
  ],
  [
    'projects/README.md',
    '# projects\n\nFirst-party repositories. Clone a repository, a subdirectory of one, or all of them.\n',
  ],
  [
    'import/README.md',
    '# import\n\nThird-party repositories, kept with their full history. Clone them one at a time.\n',
  ],
];

export interface DirectoryHead {
  readonly repository: Repository;
  readonly commit: ObjectId;
  readonly tree: ObjectId;
}

/**
 * The directory repository (seed 004 §1 part 1): a git repository at `/` holding `README.md`,
 * `projects/`, `import/` and the b-link files of every hosted repository. Its commits and trees
 * are also indexed in the seed's `dir_commit`, `dir_tree` and `mega_directory` tables.
 */
export class MegaDirectory {
  /** The last head `ensureIndexed` found indexed. */
  private indexedHead: ObjectId | undefined;
  /**
   * The last head commit read and its tree: a commit names its tree for good, so while the
   * branch stays there each request reads only the ref (on PostgreSQL the commit's read is four
   * queries).
   */
  private lastHead: { readonly commit: ObjectId; readonly tree: ObjectId } | undefined;

  constructor(private readonly deps: MonorepoDeps) {}

  /** Creates the directory with commit 1 unless it exists (idempotent, safe to race). */
  async init(): Promise<{ created: boolean; commit: ObjectId }> {
    const existing = await this.tryHead();
    if (existing) return { created: false, commit: existing.commit };
    const repository = await this.ensureRepository();
    const objects = new PendingObjects(this.deps.objects.source);
    const reader = new ObjectReader(objects);
    let tree: ObjectId | undefined;
    for (const [path, text] of INIT_READMES) {
      const blob = objects.put('blob', Buffer.from(text, 'utf8'));
      tree = await replaceAtPath(reader, objects, tree, path.split('/'), { mode: FileMode.blob, id: blob });
    }
    const ident = megaIdent(INIT_TIME);
    const commit = objects.put(
      'commit',
      buildViewCommit({
        tree: tree!, // INIT_READMES is not empty
        author: ident,
        committer: ident,
        message: 'Initialise the Mega directory\n',
      }),
    );
    await this.deps.objects.write(repository.id, objects.take());
    try {
      await this.deps.refs.updateAtomic(repository.id, [
        { name: DEFAULT_BRANCH, oldId: '0'.repeat(40), newId: commit },
      ]);
    } catch (error) {
      if (!isMegaError(error, 'conflict')) throw error;
      return { created: false, commit: (await this.head()).commit };
    }
    await this.index(commit);
    return { created: true, commit };
  }

  /** The current directory commit; `unavailable` before `mega init`. */
  async head(): Promise<DirectoryHead> {
    const head = await this.tryHead();
    if (!head)
      throw unavailable('directory_not_initialised', 'the Mega directory is not initialised: run mega init');
    return head;
  }

  async tryHead(): Promise<DirectoryHead | undefined> {
    const repository = await this.deps.repositories.find(DIRECTORY_PATH);
    if (!repository) return undefined;
    const commit = await this.deps.refs.get(repository.id, DEFAULT_BRANCH);
    if (!commit) return undefined;
    const tree =
      commit === this.lastHead?.commit
        ? this.lastHead.tree
        : (await this.deps.objects.source.readCommit(commit))?.tree;
    if (!tree) return undefined;
    this.lastHead = { commit, tree };
    return { repository, commit, tree };
  }

  /**
   * Where `path` lands in the current directory: the root, a directory, a repository, a
   * subdirectory inside one, or nothing (`absent`). For settings that name paths (review rules:
   * a rule on a mistyped path would silently require nothing).
   */
  async locate(path: string): Promise<LocatedPath> {
    const head = await this.head();
    return locatePath(new ObjectReader(this.deps.objects.source), head.tree, parseDirectoryPath(path));
  }

  /**
   * Adds the b-link of a new repository in a new directory commit (a b-link never changes
   * afterwards). Retries when another change moved the directory meanwhile.
   */
  async addLink(repoPath: string, actor: string, time: number): Promise<ObjectId> {
    return this.commitTree(actor, time, `Add ${repoPath}\n`, async (reader, objects, tree) => {
      const blob = objects.put('blob', writeBLink({ path: repoPath }));
      return replaceAtPath(reader, objects, tree, splitPath(repoPath), { mode: FileMode.blob, id: blob });
    });
  }

  /**
   * Removes a b-link in a new directory commit: the repository stays stored (and keeps its
   * history) but is no longer reachable through the directory.
   */
  async removeLink(repoPath: string, actor: string, time: number): Promise<ObjectId> {
    return this.commitTree(actor, time, `Remove ${repoPath}\n`, async (reader, objects, tree) => {
      const entry = await entryAtPath(reader, tree, splitPath(repoPath));
      if (!entry || (await readBLink(reader, entry.id).catch(() => undefined)) === undefined) {
        throw notFound('blink_not_found', `no b-link at ${repoPath}`);
      }
      return replaceAtPath(reader, objects, tree, splitPath(repoPath), undefined);
    });
  }

  /**
   * Makes an earlier directory version current again, as a new commit on top of the history
   * (seed §1: rolling the directory back never rolls a repository back; links it lacks vanish).
   */
  async rollback(target: ObjectId, actor: string, time: number): Promise<ObjectId> {
    if (!(await this.deps.directoryStore.hasCommit(target))) {
      throw notFound('directory_commit_not_found', `${target} is not a commit of the Mega directory`);
    }
    return this.commitTree(
      actor,
      time,
      `Roll back the directory to ${target}\n`,
      async (reader) => (await reader.commit(target)).tree,
    );
  }

  /** Commits the tree `change` computes from the head tree; retries when the head moved. */
  private async commitTree(
    actor: string,
    time: number,
    message: string,
    change: (reader: ObjectReader, objects: PendingObjects, tree: ObjectId) => Promise<ObjectId | undefined>,
  ): Promise<ObjectId> {
    for (let attempt = 1; ; attempt++) {
      const head = await this.head();
      const objects = new PendingObjects(this.deps.objects.source);
      const reader = new ObjectReader(objects);
      const tree = (await change(reader, objects, head.tree)) ?? objects.put('tree', Buffer.alloc(0));
      const name = sanitizeName(actor);
      const commit = objects.put(
        'commit',
        buildViewCommit({
          tree,
          parent: head.commit,
          author: `${name} <${name}@mega.local> ${Math.floor(time)} +0000`,
          committer: megaIdent(time),
          message,
        }),
      );
      await this.deps.objects.write(head.repository.id, objects.take());
      try {
        await this.deps.refs.updateAtomic(head.repository.id, [
          { name: DEFAULT_BRANCH, oldId: head.commit, newId: commit },
        ]);
        await this.index(commit);
        return commit;
      } catch (error) {
        if (!isMegaError(error, 'conflict') || attempt >= ADD_LINK_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Indexes `commit` unless this process saw it indexed already: a merge request that changes
   * the directory's own files (README) moves `/` in the review area's merge transaction, which
   * does not index; the first request served after it does (one query per new head and process).
   */
  async ensureIndexed(commit: ObjectId): Promise<void> {
    if (commit === this.indexedHead) return;
    if (!(await this.deps.directoryStore.hasCommit(commit))) await this.index(commit);
    this.indexedHead = commit;
  }

  /** Records a directory commit and its trees in `dir_commit`, `dir_tree`, `mega_directory`. */
  async index(commitId: ObjectId): Promise<void> {
    const reader = new ObjectReader(this.deps.objects.source);
    const commit = parseCommit(await reader.readTyped(commitId, 'commit'));
    const trees: DirectoryTreeRecord[] = [];
    const walk = async (id: ObjectId, fullPath: string, name: string): Promise<void> => {
      const entries = await reader.tree(id);
      const subtrees = entries.filter((entry) => entryKind(entry.mode) === 'tree');
      trees.push({
        gitId: id,
        fullPath,
        name,
        subTrees: subtrees.map((entry) => entry.id),
        size: serializeTree(entries).length,
      });
      for (const entry of subtrees) {
        await walk(entry.id, fullPath === '/' ? `/${entry.name}` : `${fullPath}/${entry.name}`, entry.name);
      }
    };
    await walk(commit.tree, '/', '');
    await this.deps.directoryStore.recordCommit(
      {
        gitId: commitId,
        tree: commit.tree,
        parents: commit.parents,
        author: commit.author,
        committer: commit.committer,
        message: commit.message,
      },
      trees,
    );
  }

  private async ensureRepository(): Promise<Repository> {
    const found = await this.deps.repositories.find(DIRECTORY_PATH);
    if (found) return found;
    try {
      return await this.deps.repositories.create({ path: DIRECTORY_PATH, kind: 'directory' });
    } catch (error) {
      if (!isMegaError(error, 'conflict')) throw error;
      return this.deps.repositories.require(DIRECTORY_PATH);
    }
  }
}

/** A user name safe inside an ident line (no `<`, `>`, newlines). */
function sanitizeName(name: string): string {
  return name.replace(/[<>\n\r\0]/g, '').trim() || 'mega';
}
