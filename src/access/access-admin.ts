import { isValidRefPattern } from '../git/ref-pattern.js';
import { invalid, notFound } from '../platform/errors.js';
import type {
  AccessStore,
  StoredGrant,
  StoredGroup,
  StoredPathSetting,
  StoredProtectedBranch,
  SubjectKind,
} from '../storage/access/access-store.js';
import type { UserStore } from '../storage/user-store.js';
import { isWithin, parseAccessPath } from './paths.js';
import { parseRole, parseVisibility, type Role } from './roles.js';

/** Who a grant is for: a user by name, or a group by name. */
export interface Subject {
  readonly kind: SubjectKind;
  readonly name: string;
}

/** Parses the CLI's subject form: `alice` is a user, `@team` a group. */
export function parseSubject(text: string): Subject {
  if (text.startsWith('@')) return { kind: 'group', name: text.slice(1) };
  return { kind: 'user', name: text };
}

/** The CLI's subject form of a stored grant's subject. */
export function subjectLabel(grant: Pick<StoredGrant, 'subjectKind' | 'subjectName'>): string {
  return grant.subjectKind === 'group' ? `@${grant.subjectName}` : grant.subjectName;
}

export type AccessAdminStores = {
  readonly access: AccessStore;
  readonly users: Pick<UserStore, 'findUser'>;
};

/**
 * Management of grants, path settings, protected-branch patterns and groups, shared by the `mega
 * access` / `mega group` commands and the REST API. It validates every input (paths are made
 * canonical, roles, visibilities and patterns checked, unknown users and groups are 404s) and
 * decides nothing about the caller: REST routes check `admin` on the path first, the CLI is the
 * operator.
 */
export class AccessAdmin {
  constructor(private readonly stores: AccessAdminStores) {}

  async grant(pathInput: string, subject: Subject, roleInput: string): Promise<{ path: string; role: Role }> {
    const path = parseAccessPath(pathInput);
    const role = parseRole(roleInput);
    const id = await this.subjectId(subject);
    await this.stores.access.setGrant(path, subject.kind, id, role);
    return { path, role };
  }

  async revoke(pathInput: string, subject: Subject): Promise<void> {
    const path = parseAccessPath(pathInput);
    await this.stores.access.removeGrant(path, subject.kind, await this.subjectId(subject));
  }

  /** Grants at or below `under` (default: all), ordered by path. */
  async grants(under = '/'): Promise<StoredGrant[]> {
    const root = parseAccessPath(under);
    return (await this.stores.access.listGrants()).filter((grant) => isWithin(grant.path, root));
  }

  /** The path's own settings (nulls: inherited). */
  async pathSetting(pathInput: string): Promise<StoredPathSetting> {
    const path = parseAccessPath(pathInput);
    const own = (await this.stores.access.pathSettings()).find((setting) => setting.path === path);
    return own ?? { path, visibility: null, selfMerge: null };
  }

  /** Sets a path's visibility and/or self-merge rule; null (or `inherit` in the CLI) clears one. */
  async setPathSetting(
    pathInput: string,
    change: { readonly visibility?: string | null; readonly selfMerge?: boolean | null },
  ): Promise<StoredPathSetting> {
    const path = parseAccessPath(pathInput);
    const visibility =
      change.visibility === undefined || change.visibility === null
        ? change.visibility
        : parseVisibility(change.visibility);
    return this.stores.access.setPathSetting(path, {
      ...(visibility !== undefined ? { visibility } : {}),
      ...(change.selfMerge !== undefined ? { selfMerge: change.selfMerge } : {}),
    });
  }

  async protectedBranches(repoInput: string): Promise<StoredProtectedBranch[]> {
    return this.stores.access.protectedBranches(parseRepoPath(repoInput));
  }

  async protect(repoInput: string, pattern: string): Promise<StoredProtectedBranch> {
    const repoPath = parseRepoPath(repoInput);
    checkPattern(pattern);
    await this.stores.access.protectBranches(repoPath, pattern);
    return { repoPath, pattern };
  }

  async unprotect(repoInput: string, pattern: string): Promise<void> {
    checkPattern(pattern);
    await this.stores.access.unprotectBranches(parseRepoPath(repoInput), pattern);
  }

  listGroups(): Promise<StoredGroup[]> {
    return this.stores.access.listGroups();
  }

  createGroup(name: string): Promise<StoredGroup> {
    return this.stores.access.createGroup(name);
  }

  deleteGroup(name: string): Promise<void> {
    return this.stores.access.deleteGroup(name);
  }

  async addMember(groupName: string, username: string): Promise<StoredGroup> {
    const group = await this.stores.access.group(groupName);
    await this.stores.access.addMember(group.id, await this.userId(username));
    return this.stores.access.group(groupName);
  }

  async removeMember(groupName: string, username: string): Promise<StoredGroup> {
    const group = await this.stores.access.group(groupName);
    const userId = await this.userId(username);
    if (!group.members.includes(username)) {
      throw notFound('user_not_found', 'the user is not a member of this group', {
        group: groupName,
        user: username,
      });
    }
    await this.stores.access.removeMember(group.id, userId);
    return this.stores.access.group(groupName);
  }

  private async subjectId(subject: Subject): Promise<number> {
    if (subject.name === '') throw invalid('subject_invalid', 'name a user, or a group as @group');
    if (subject.kind === 'group') return (await this.stores.access.group(subject.name)).id;
    return this.userId(subject.name);
  }

  private async userId(username: string): Promise<number> {
    const user = await this.stores.users.findUser(username);
    if (!user) throw notFound('user_not_found', 'user not found', { user: username });
    return user.id;
  }
}

/** A repository path for protected branches: a grant path that is not the root. */
function parseRepoPath(input: string): string {
  const path = parseAccessPath(input);
  if (path === '/') {
    throw invalid('access_path_invalid', 'protected branches belong to a repository, not to /', {
      path: input,
    });
  }
  return path;
}

function checkPattern(pattern: string): void {
  if (!isValidRefPattern(pattern)) {
    throw invalid(
      'branch_pattern_invalid',
      'invalid branch pattern: use main, release/*, release/** or refs/tags/v*',
      {
        pattern,
      },
    );
  }
}
