import { isZeroId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import type {
  AccessIntent,
  PathReader,
  PushContext,
  PushPolicy,
  RefUpdateRequest,
  RefUpdateResults,
  RepositoryResolver,
  ServedRepository,
} from '../repo/served-repository.js';
import { EVERY_PATH, overriding } from '../repo/served-repository.js';
import { forbidden, notFound } from '../platform/errors.js';
import type { ChangeProposals } from './change-proposals.js';
import { ruleFor } from './clone-rules.js';
import { parseDirectoryPath } from './directory-path.js';
import { DirectoryViews, type DirectoryView } from './directory-views.js';
import { locatePath, type LocatedPath } from './locate-path.js';
import { LocatedPaths } from './located-paths.js';
import { DIRECTORY_PATH, MegaDirectory } from './mega-directory.js';
import { MergeRequestPushPolicy } from './merge-request-policy.js';
import { DEFAULT_BRANCH, type MonorepoDeps } from './ports.js';
import { rootPushPolicy } from './root-push-policy.js';
import type { StorageScope } from '../storage/storage.js';

export interface MonorepoResolverDeps extends MonorepoDeps {
  /** The 1:1 resolver of stored repositories (smart HTTP's default). */
  readonly stored: RepositoryResolver;
  readonly proposals: ChangeProposals;
  /** The same dependencies bound to one transaction (a first push adds its b-link there). */
  readonly within: (scope: StorageScope) => MonorepoDeps;
}

/**
 * The Mega directory as smart HTTP sees it (SPEC §6): every URL path is classified, located in
 * the current directory tree and served by the clone-rule table — the root and `/import/<repo>`
 * as stored repositories, `/projects` paths as synthetic views whose pushes become merge
 * requests, new paths as repositories created by their first push.
 */
export class MonorepoResolver implements RepositoryResolver {
  readonly directory: MegaDirectory;
  readonly views: DirectoryViews;
  private readonly located = new LocatedPaths();

  constructor(private readonly deps: MonorepoResolverDeps) {
    this.directory = new MegaDirectory(deps);
    this.views = new DirectoryViews(deps, this.directory);
  }

  async resolve(path: string, intent: AccessIntent, reader: PathReader): Promise<ServedRepository> {
    const parsed = parseDirectoryPath(path);
    const head = await this.directory.head();
    await this.directory.ensureIndexed(head.commit);
    const located = await this.located.locate(head.tree, parsed.path, () =>
      locatePath(new ObjectReader(this.deps.objects.source), head.tree, parsed),
    );
    const rule = ruleFor(located.shape, located.shape === 'root' ? undefined : located.area);
    if (intent === 'read' || located.shape !== 'absent') {
      const clone = rule.clone;
      if (!clone.allowed) {
        if (located.shape === 'absent')
          throw notFound('directory_path_not_found', `${located.path}: ${clone.reason}`);
        throw forbidden('clone_refused', `${located.path}: ${clone.reason}`);
      }
    }
    if (intent === 'write' && !rule.push.allowed)
      throw forbidden('push_refused', `${located.path}: ${rule.push.reason}`);
    switch (located.shape) {
      case 'root':
        return this.root(intent, head, reader);
      case 'absent':
        return this.creation(located, intent);
      case 'directory':
      case 'repository':
      case 'subdirectory':
        if (located.area === 'import') {
          return this.deps.stored.resolve(
            located.shape === 'directory' ? located.path : located.repoPath,
            intent,
            reader,
          );
        }
        return this.view(
          located,
          rule.clone.allowed ? rule.clone.mode : 'repository-head',
          head,
          intent,
          reader,
        );
    }
  }

  /**
   * The root: the stored directory repository for a reader of every path in it; for anyone
   * else a synthetic view without what they may not read (its history names every repository),
   * which takes no pushes (writing `/` needs a role there, which reads everything anyway).
   */
  private async root(
    intent: AccessIntent,
    head: Awaited<ReturnType<MegaDirectory['head']>>,
    reader: PathReader,
  ): Promise<ServedRepository> {
    const stored = await this.deps.stored.resolve(DIRECTORY_PATH, intent, EVERY_PATH);
    const filtered = reader === EVERY_PATH ? undefined : await this.views.filteredRoot(head, reader);
    if (filtered) {
      const reason = `${FILTERED_ROOT_REASON}: push README changes with a role that reads every repository`;
      return syntheticRepository(
        filtered,
        stored,
        { decide: async () => ({ action: 'reject', reason }) },
        // Its policy refuses every push, with the reason.
        true,
      );
    }
    return overriding(stored, {
      pushPolicy: rootPushPolicy(reader),
      updateRefs: async (updates, options) => {
        const results = await stored.updateRefs(updates, options);
        await this.indexAccepted(updates, results);
        return results;
      },
    });
  }

  /**
   * A push to a path that does not exist yet creates the repository, adds its b-link and makes
   * the pusher its maintainer, in the transaction that writes its first refs: a refused or failed
   * first push leaves nothing (no repository, no b-link, no grant).
   */
  private async creation(
    located: Extract<LocatedPath, { shape: 'absent' }>,
    intent: AccessIntent,
  ): Promise<ServedRepository> {
    if (intent === 'read')
      throw notFound('directory_path_not_found', `${located.path}: no repository or directory here`);
    const stored = await this.deps.stored.resolve(located.path, intent, EVERY_PATH);
    if (stored.exists) {
      const reason = `${located.path} exists but is not linked into the Mega directory (an administrator can run mega repo repair, or mega repo delete)`;
      return overriding(stored, { pushPolicy: { decide: async () => ({ action: 'reject', reason }) } });
    }
    let pusher: PushContext['principal'] | undefined;
    const policy: PushPolicy = {
      decide: async (update, context) => {
        pusher = context.principal;
        return stored.pushPolicy.decide(update, context);
      },
    };
    return overriding(stored, {
      pushPolicy: policy,
      updateRefs: (updates, options) =>
        stored.updateRefs(updates, {
          ...options,
          onCreate: async (scope) => {
            await new MegaDirectory(this.deps.within(scope)).addLink(
              located.path,
              pusher?.username ?? 'mega',
              Date.now() / 1000,
            );
            if (pusher) await scope.access.setGrant(located.path, 'user', pusher.userId, 'maintain');
          },
        }),
    });
  }

  private async view(
    located: LocatedPath,
    mode: Parameters<DirectoryViews['view']>[1],
    head: Awaited<ReturnType<MegaDirectory['head']>>,
    intent: AccessIntent,
    reader: PathReader,
  ): Promise<ServedRepository> {
    // The clone limit bounds clones; writes (the commits API, a push) compute any size.
    const view = await this.views.view(located, mode, head, reader, { sizeLimited: intent === 'read' });
    const staging = await this.deps.stored.resolve(DIRECTORY_PATH, intent, EVERY_PATH);
    return syntheticRepository(
      view,
      staging,
      new MergeRequestPushPolicy(this.deps, this.views, this.deps.proposals, view.chain, reader),
      // A repository's view touches that repository only: `write` on it is checked before upload.
      located.shape === 'directory',
    );
  }

  /** Indexes directory commits a root push moved the branch to (seed tables `dir_*`). */
  private async indexAccepted(
    updates: readonly RefUpdateRequest[],
    results: RefUpdateResults,
  ): Promise<void> {
    for (const update of updates) {
      if (
        update.refName === DEFAULT_BRANCH &&
        results.get(update.refName) === undefined &&
        !isZeroId(update.newId)
      ) {
        await this.directory.index(update.newId);
      }
    }
  }
}

/** Why a reader's `/` is not the stored directory repository. */
const FILTERED_ROOT_REASON = '/ is shown without the repositories you may not read';

/**
 * A directory view served like a repository: one branch, objects from the directory's store.
 * No `packCacheIdentity` nor `cloneWalks`: its packs are never cached, so a view filtered for one
 * reader never reuses a pack made for another (nor the stored root's).
 */
function syntheticRepository(
  view: DirectoryView,
  staging: ServedRepository,
  pushPolicy: PushPolicy,
  writeCheckedPerRepository: boolean,
): ServedRepository {
  return {
    path: view.path,
    exists: true,
    writable: true,
    writeCheckedPerRepository,
    listRefs: async () => ({
      refs: [{ name: DEFAULT_BRANCH, target: view.commit }],
      headTarget: DEFAULT_BRANCH,
    }),
    objects: staging.objects,
    pushPolicy,
    receivePack: (pack, limits) => staging.receivePack(pack, limits),
    updateRefs: async (updates) =>
      new Map(
        updates.map((update) => [
          update.refName,
          'a directory view has no branches of its own: push opens a merge request',
        ]),
      ),
  };
}
