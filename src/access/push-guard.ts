import { isZeroId } from '../git/object-id.js';
import { refMatches } from '../git/ref-pattern.js';
import { isAncestor } from '../repo/ancestry.js';
import { CommitCache } from '../repo/common-commits.js';
import {
  overriding,
  type PushContext,
  type PushPolicy,
  type RefDecision,
  type RefUpdateRequest,
  type ServedRepository,
} from '../repo/served-repository.js';
import type { AccessStore } from '../storage/access/access-store.js';
import type { Permissions } from './permissions.js';

/** What the guard reads: storage's protected-branch patterns in production. */
export type BranchProtectionRules = Pick<AccessStore, 'protectedBranches'>;

export interface PushGuardOptions {
  /** `git.protectDefaultBranch`: a repository without patterns protects its default branch. */
  readonly protectDefaultBranch: boolean;
}

/** Where a push goes: an existing repository, or a path its first push creates. */
export interface PushTarget {
  readonly path: string;
  readonly exists: boolean;
  /** A directory view: `write` is checked on each repository the push touches, not here. */
  readonly writeCheckedPerRepository?: boolean;
}

/**
 * Throws unless the caller may push to `target` (git objects, LFS uploads and locks alike):
 * `write` on an existing repository, `write` on the parent path to create one by a first push,
 * `read` on a directory view (whose push policy requires `write` on each repository it touches).
 * Unreadable paths answer 404 (401 anonymous) as if missing, readable ones 403 `access_denied`.
 */
export function requirePushAccess(permissions: Permissions, target: PushTarget): void {
  permissions.requireRead(target.path);
  if (target.writeCheckedPerRepository) return;
  if (target.exists) {
    permissions.require(target.path, 'write', 'push');
    return;
  }
  permissions.requireCreate(target.path, `creating ${target.path}`);
}

/**
 * The per-ref rules of pushing, and the one place of the protected-branch rule:
 * - a protected branch is matched by one of the repository's patterns (`mega access protect`),
 *   or is the default branch when it has none (and `git.protectDefaultBranch` is on);
 * - nobody, administrators included, deletes or rewinds a protected branch (or moves a protected
 *   tag): GitLab's and Gitea's default;
 * - updating or creating a protected ref needs `maintain`;
 * - deleting any branch or tag, moving an existing tag and a non-fast-forward update need
 *   `maintain`.
 * The rules apply to the updates the repository's own policy accepts, the ones that move refs:
 * a push to a directory view moves none (it opens a merge request, `handled`) and needs only
 * `write` on each repository it touches, checked by the view's policy. A first push is not checked per ref: its pusher becomes maintainer.
 */
export class PushGuard {
  constructor(
    private readonly rules: BranchProtectionRules,
    private readonly options: PushGuardOptions,
  ) {}

  /** `repository` with its push policy behind the per-ref rules, for one caller's push. */
  guard(repository: ServedRepository, permissions: Permissions): ServedRepository {
    const policy = new GuardedPushPolicy(repository, permissions, this.rules, this.options);
    return overriding(repository, { pushPolicy: policy });
  }
}

class GuardedPushPolicy implements PushPolicy {
  private protection?: Promise<Protection>;

  constructor(
    private readonly repository: ServedRepository,
    private readonly permissions: Permissions,
    private readonly rules: BranchProtectionRules,
    private readonly options: PushGuardOptions,
  ) {}

  async decide(update: RefUpdateRequest, context: PushContext): Promise<RefDecision> {
    const decision = await this.repository.pushPolicy.decide(update, context);
    if (decision.action !== 'accept' || !this.repository.exists) return decision;
    const reason = await this.refusal(update, context);
    if (reason === undefined) return decision;
    return { action: 'reject', reason, ...(decision.messages ? { messages: decision.messages } : {}) };
  }

  private async refusal(update: RefUpdateRequest, context: PushContext): Promise<string | undefined> {
    const { refName, oldId, newId } = update;
    const isTag = refName.startsWith('refs/tags/');
    const deleting = isZeroId(newId);
    const creating = isZeroId(oldId);
    // Tags do not fast-forward: moving one is its own rule.
    const rewinding = async () =>
      !deleting && !creating && !isTag && !(await isAncestor(new CommitCache(context.objects), oldId, newId));
    const protectedBy = (await this.loadProtection()).protects(refName);
    if (protectedBy) {
      const name = protectedBy === 'default' ? 'the default branch' : 'a protected branch';
      if (deleting) return `deleting ${name} is not allowed`;
      if (isTag && !creating) return 'moving a protected tag is not allowed';
      if (await rewinding()) return 'non-fast-forward update of a protected branch';
      return this.needsMaintain(`updating the protected ${isTag ? 'tag' : 'branch'} ${shortName(refName)}`);
    }
    if (this.permissions.has(this.repository.path, 'maintain')) return undefined;
    if (deleting) return this.needsMaintain(`deleting ${isTag ? 'a tag' : 'a branch'}`);
    if (isTag && !creating) return this.needsMaintain('moving a tag');
    if (await rewinding()) return this.needsMaintain('a non-fast-forward update (force-push)');
    return undefined;
  }

  private needsMaintain(action: string): string | undefined {
    const path = this.repository.path;
    return this.permissions.has(path, 'maintain')
      ? undefined
      : `${action} needs the maintain role on ${path}`;
  }

  /** The repository's patterns and default branch, read once per push. */
  private loadProtection(): Promise<Protection> {
    this.protection ??= (async () => {
      const [patterns, refs] = await Promise.all([
        this.rules.protectedBranches(this.repository.path),
        this.repository.listRefs(),
      ]);
      const defaultBranch = this.options.protectDefaultBranch ? refs.headTarget : undefined;
      return new Protection(
        patterns.map((entry) => entry.pattern),
        defaultBranch,
      );
    })();
    return this.protection;
  }
}

/** Which refs of one repository are protected, and why. */
export class Protection {
  constructor(
    readonly patterns: readonly string[],
    /** Protected when no pattern is set (HEAD's target), undefined when that fallback is off. */
    readonly defaultBranch: string | undefined,
  ) {}

  /** `pattern` or `default` for a protected ref, undefined otherwise. */
  protects(refName: string): 'pattern' | 'default' | undefined {
    if (this.patterns.length > 0) {
      return this.patterns.some((pattern) => refMatches(pattern, refName)) ? 'pattern' : undefined;
    }
    return refName === this.defaultBranch ? 'default' : undefined;
  }
}

function shortName(refName: string): string {
  for (const prefix of ['refs/heads/', 'refs/tags/']) {
    if (refName.startsWith(prefix)) return refName.slice(prefix.length);
  }
  return refName;
}
