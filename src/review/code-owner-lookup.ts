import type { ObjectId } from '../git/object-id.js';
import { isWithin, parentOf } from '../access/paths.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { diffTrees } from '../repo/browse/tree-diff.js';
import { resolveTreePath } from '../repo/browse/tree-path.js';
import { isMegaError } from '../platform/errors.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import { DIRECTORY_REPO_PATH } from '../storage/monorepo/directory-store.js';
import {
  MAX_CODEOWNERS_BYTES,
  ownersOf,
  parseCodeOwners,
  type CodeOwnersFile,
  type OwnerMatch,
  type OwnerRef,
} from './code-owners.js';
import type { ReviewDeps } from './review-deps.js';
import type { CodeOwnerRequirement } from './review-state.js';

export type { CodeOwnerRequirement } from './review-state.js';

/**
 * Where a repository's own CODEOWNERS may be, in the order looked at; the first that exists is
 * the repository's file (GitHub's places, then GitLab's).
 */
export const REPOSITORY_CODEOWNERS_PATHS = [
  '.github/CODEOWNERS',
  'CODEOWNERS',
  'docs/CODEOWNERS',
  '.gitlab/CODEOWNERS',
] as const;

/** Most changed files evaluated per repository; past it the merge needs to be split (blocker). */
export const MAX_OWNED_FILES = 100_000;

export interface CodeOwnersOutcome {
  readonly requirements: readonly CodeOwnerRequirement[];
  /** Files ignored or lines skipped, owners that name nobody: shown in the merge status. */
  readonly warnings: readonly string[];
}

/**
 * The code owners a merge request needs, read at the TARGET heads (never from the proposal, so a
 * proposer cannot make themselves owner). For each changed file (old and new paths of each
 * repository's diff), the owners come from the nearest CODEOWNERS that has a rule matching it:
 * first the repository's own file (paths relative to the repository), then `CODEOWNERS` files of
 * the directory repository `/` at each level above the repository, nearest first
 * (`/projects/CODEOWNERS` matches `team/app/src/x.c` for `/projects/team/app`). A file whose
 * rules match nothing defers to the level above; a matching rule without owners ends the search
 * (the path is unowned). Within a file, each section's last matching rule counts.
 */
export class CodeOwnerLookup {
  private readonly reader: ObjectReader;
  private readonly files = new Map<string, Promise<CodeOwnersFile | undefined>>();
  private readonly warnings: string[] = [];
  /** Repositories whose change was too big to check: requirements nobody can satisfy. */
  private readonly unchecked: CodeOwnerRequirement[] = [];
  private directoryTree: Promise<ObjectId | undefined> | undefined;
  private usersByEmail: Promise<Map<string, string>> | undefined;

  constructor(private readonly deps: ReviewDeps) {
    this.reader = new ObjectReader(deps.monorepo.objects.source);
  }

  async requirementsOf(record: MergeRequestRecord): Promise<CodeOwnersOutcome> {
    // The repositories at once: their reads, made in the same turns, are answered in batches.
    const owned = await Promise.all(record.changes.map((change) => this.ownersOfChange(change, record)));
    const byRule = new Map<string, { match: OwnerMatch; source: string; paths: string[] }>();
    for (const [index, change] of record.changes.entries()) {
      for (const { file, found } of owned[index] ?? []) {
        if (!found) continue;
        for (const match of found.matches) {
          if (match.rule.owners.length === 0) continue;
          const key = `${found.source}\n${match.section}\n${match.rule.line}`;
          const entry = byRule.get(key) ?? { match, source: found.source, paths: [] };
          entry.paths.push(joinPath(change.repoPath, file));
          byRule.set(key, entry);
        }
      }
    }
    const requirements: CodeOwnerRequirement[] = [...this.unchecked];
    for (const { match, source, paths } of byRule.values()) {
      requirements.push({
        source,
        section: match.section,
        optional: match.optional,
        pattern: match.rule.pattern,
        line: match.rule.line,
        owners: match.rule.owners.map(ownerText),
        paths,
        eligible: await this.resolve(match.rule.owners, source),
      });
    }
    return { requirements, warnings: [...new Set(this.warnings)] };
  }

  /** The owners of each file one repository's change touches, in the diff's order. */
  private async ownersOfChange(
    change: MergeRequestRecord['changes'][number],
    record: MergeRequestRecord,
  ): Promise<Array<{ file: string; found: { source: string; matches: OwnerMatch[] } | undefined }>> {
    const [targetTree, changed] = await Promise.all([
      this.targetTree(change.repoPath, record.targetBranch),
      this.changedFiles(change.repoPath, change.baseCommit, change.headCommit),
    ]);
    const found = await Promise.all(
      changed.map((file) => this.ownersOfFile(change.repoPath, targetTree, file)),
    );
    return changed.map((file, index) => ({ file, found: found[index] }));
  }

  /**
   * Paths changed between two commits (a tree diff lists a rename as a delete and an add, so old
   * and new names both). Past `MAX_OWNED_FILES` the check fails closed: a requirement nobody can
   * satisfy says why (split the change).
   */
  private async changedFiles(repoPath: string, base: ObjectId, head: ObjectId): Promise<string[]> {
    const [baseCommit, headCommit] = await Promise.all([this.reader.commit(base), this.reader.commit(head)]);
    const changes = await diffTrees(this.reader, baseCommit.tree, headCommit.tree, MAX_OWNED_FILES + 1);
    if (changes.length > MAX_OWNED_FILES) {
      const reason = `more than ${MAX_OWNED_FILES} changed files in ${repoPath}: code owners cannot be checked, split the change`;
      this.warnings.push(reason);
      this.unchecked.push({
        source: `${repoPath}: too many changed files`,
        section: '',
        optional: false,
        pattern: '',
        line: 0,
        owners: [],
        paths: [repoPath],
        eligible: [],
      });
    }
    return changes.map((change) => change.path);
  }

  private async ownersOfFile(
    repoPath: string,
    targetTree: ObjectId | undefined,
    file: string,
  ): Promise<{ source: string; matches: OwnerMatch[] } | undefined> {
    const fullPath = joinPath(repoPath, file);
    if (repoPath !== DIRECTORY_REPO_PATH && targetTree !== undefined) {
      const own = await this.repositoryFile(repoPath, targetTree);
      if (own) {
        const matches = ownersOf(own.file, file);
        if (matches.length > 0) return { source: own.source, matches };
      }
    }
    for (let dir = parentOf(fullPath); dir !== undefined; dir = parentOf(dir)) {
      if (repoPath !== DIRECTORY_REPO_PATH && isWithin(dir, repoPath)) continue;
      const at = dir === '/' ? 'CODEOWNERS' : `${dir.slice(1)}/CODEOWNERS`;
      const level = await this.directoryFile(at);
      if (!level) continue;
      const matches = ownersOf(level, dir === '/' ? fullPath.slice(1) : fullPath.slice(dir.length + 1));
      if (matches.length > 0) return { source: `/:${at}`, matches };
    }
    return undefined;
  }

  private async repositoryFile(
    repoPath: string,
    tree: ObjectId,
  ): Promise<{ source: string; file: CodeOwnersFile } | undefined> {
    // Every place looked at together; the first that exists wins.
    const files = await Promise.all(
      REPOSITORY_CODEOWNERS_PATHS.map((at) => this.cachedFile(`${repoPath}:${at}`, tree, at)),
    );
    const index = files.findIndex((file) => file !== undefined);
    const file = files[index];
    return file && { source: `${repoPath}:${REPOSITORY_CODEOWNERS_PATHS[index]}`, file };
  }

  private async directoryFile(at: string): Promise<CodeOwnersFile | undefined> {
    this.directoryTree ??= this.targetTree(DIRECTORY_REPO_PATH, undefined);
    const tree = await this.directoryTree;
    return tree === undefined ? undefined : this.cachedFile(`/:${at}`, tree, at);
  }

  private cachedFile(source: string, tree: ObjectId, at: string): Promise<CodeOwnersFile | undefined> {
    let file = this.files.get(source);
    if (!file) {
      file = this.readFile(source, tree, at);
      this.files.set(source, file);
    }
    return file;
  }

  /** The file parsed, at most `MAX_CODEOWNERS_BYTES` read (a bigger one is ignored, with a warning). */
  private async readFile(source: string, tree: ObjectId, at: string): Promise<CodeOwnersFile | undefined> {
    let blob: ObjectId;
    try {
      const found = await resolveTreePath(this.reader, tree, at.split('/'));
      if (found.kind !== 'blob') return undefined;
      blob = found.id;
    } catch (error) {
      if (isMegaError(error, 'not_found')) return undefined;
      throw error;
    }
    const read = await this.reader.readBounded(blob, 'blob', MAX_CODEOWNERS_BYTES + 1);
    const file = parseCodeOwners(read.content);
    for (const warning of file.warnings) this.warnings.push(`${source}: ${warning}`);
    return file;
  }

  /** The root tree of a repository's target branch (the request's target, else its default branch). */
  private async targetTree(
    repoPath: string,
    targetBranch: string | undefined,
  ): Promise<ObjectId | undefined> {
    const { repositories, refs } = this.deps.monorepo;
    const repository = await repositories.find(repoPath);
    if (!repository) return undefined;
    const ref =
      targetBranch === undefined
        ? repository.headRef
        : targetBranch.startsWith('refs/')
          ? targetBranch
          : `refs/heads/${targetBranch}`;
    const head = await refs.get(repository.id, ref);
    return head === undefined ? undefined : (await this.reader.commit(head)).tree;
  }

  /** User names an owner list stands for; owners naming nobody become warnings. */
  private async resolve(owners: readonly OwnerRef[], source: string): Promise<string[]> {
    const { users, access } = this.deps.storage;
    const names = new Set<string>();
    for (const owner of owners) {
      let found: readonly string[] = [];
      if (owner.kind === 'email') {
        this.usersByEmail ??= users
          .listUsers()
          .then(
            (all) =>
              new Map(
                all.filter((user) => user.email).map((user) => [user.email!.toLowerCase(), user.username]),
              ),
          );
        const user = (await this.usersByEmail).get(owner.email);
        found = user ? [user] : [];
      } else {
        const user = owner.kind === 'name' ? await users.findUser(owner.name) : undefined;
        found = user ? [user.username] : await groupMembers(access, owner.name);
      }
      if (found.length === 0) this.warnings.push(`${source}: ${ownerText(owner)} names no user or group`);
      for (const name of found) names.add(name);
    }
    return [...names].sort();
  }
}

async function groupMembers(
  access: ReviewDeps['storage']['access'],
  name: string,
): Promise<readonly string[]> {
  try {
    return (await access.group(name)).members;
  } catch (error) {
    if (isMegaError(error, 'not_found')) return [];
    throw error;
  }
}

function ownerText(owner: OwnerRef): string {
  if (owner.kind === 'email') return owner.email;
  return owner.kind === 'group' ? owner.text : `@${owner.name}`;
}

function joinPath(repoPath: string, file: string): string {
  return repoPath === '/' ? `/${file}` : `${repoPath}/${file}`;
}
