import { notFound, forbidden, unauthorized } from '../platform/errors.js';
import { isWithin, parentOf } from './paths.js';
import type { PathLimit, Principal } from './principal.js';
import { includes, roleRank, scopeCeiling, type Role, type Visibility } from './roles.js';

/** A grant that applies to the principal (their own or one of their groups'). */
export interface EffectiveGrant {
  readonly path: string;
  readonly role: Role;
}

/** A path's own settings; null fields inherit from the nearest ancestor that sets them. */
export interface PathSetting {
  readonly path: string;
  readonly visibility: Visibility | null;
  readonly selfMerge: boolean | null;
}

/**
 * What one principal may do, evaluated synchronously from the grants and settings loaded for the
 * request (`AccessPolicy.permissionsOf`). The rules:
 * - administrators (effective: flag and `admin` token scope) have every right everywhere;
 * - a user's role on a path comes from the most specific grant at or above it (their own and
 *   their groups'; on one path the strongest wins), capped by the token's scopes;
 * - a path is readable with `read`, or when its visibility lets the caller in: `public` anyone,
 *   `internal` any signed-in user, `private` nobody else. Visibility comes from the nearest path
 *   that sets it, else the installation's default;
 * - a principal with a `limit` (deploy keys, SSH-issued LFS tokens) sees nothing outside the
 *   limit's path, public paths included, and holds at most the limit's role inside it.
 */
export class Permissions {
  private readonly ceiling: Role;
  private readonly limit: PathLimit | undefined;
  /** The strongest grant on each path, and each path's settings: lookups walk a path's ancestors. */
  private readonly roleByPath = new Map<string, Role>();
  private readonly settingByPath = new Map<string, PathSetting>();

  constructor(
    readonly principal: Principal,
    private readonly grants: readonly EffectiveGrant[],
    private readonly settings: readonly PathSetting[],
    private readonly defaultVisibility: Visibility,
  ) {
    this.limit = principal.kind === 'user' ? principal.limit : undefined;
    const scoped = principal.kind === 'user' ? scopeCeiling(principal.scopes) : 'read';
    this.ceiling = this.limit && roleRank(this.limit.role) < roleRank(scoped) ? this.limit.role : scoped;
    for (const grant of grants) {
      const held = this.roleByPath.get(grant.path);
      if (held === undefined || roleRank(grant.role) > roleRank(held))
        this.roleByPath.set(grant.path, grant.role);
    }
    for (const setting of settings) this.settingByPath.set(setting.path, setting);
  }

  get isAdmin(): boolean {
    return this.principal.kind === 'user' && this.principal.isAdmin && this.limit === undefined;
  }

  get isSignedIn(): boolean {
    return this.principal.kind === 'user';
  }

  /** The caller's role on `path` (from grants; administrators: `admin`), undefined for none. */
  roleAt(path: string): Role | undefined {
    if (this.isAdmin) return 'admin';
    if (!this.withinLimit(path)) return undefined;
    return this.grantedRoleAt(path);
  }

  /**
   * Throws unless the caller may create `path` (a first push, an LFS upload before it): `write` on
   * its parent. A credential limited to `path` is judged at the parent by its user's grants (capped
   * by the limit's role): the limit says where it acts, and the new path is inside it. A deploy
   * key holds no grant at the parent, so it never creates repositories.
   */
  requireCreate(path: string, action: string): void {
    const parent = parentOf(path) ?? '/';
    if (this.limit && this.withinLimit(path) && !this.withinLimit(parent)) {
      if (includes(this.grantedRoleAt(parent), 'write')) return;
      if (!this.canRead(path)) throw this.hidden(path);
      throw forbidden('access_denied', `${action} needs the write role on ${parent}`, {
        path: parent,
        role: 'write',
      });
    }
    this.require(parent, 'write', action);
  }

  /** The role the principal's grants give at `path` (capped by scopes and limit), limit path aside. */
  private grantedRoleAt(path: string): Role | undefined {
    if (this.principal.kind !== 'user') return undefined;
    // An administrator's limited credential (an SSH-issued LFS token) has the limit's role.
    if (this.principal.isAdmin) return this.isAdmin ? 'admin' : this.ceiling;
    const role = nearest(path, (candidate) => this.roleByPath.get(candidate));
    if (role === undefined) return undefined;
    return roleRank(role) > roleRank(this.ceiling) ? this.ceiling : role;
  }

  /** Whether the caller holds at least `role` on `path`. */
  has(path: string, role: Role): boolean {
    return includes(this.roleAt(path), role);
  }

  visibilityOf(path: string): Visibility {
    return this.nearestSetting(path, 'visibility') ?? this.defaultVisibility;
  }

  canRead(path: string): boolean {
    if (!this.withinLimit(path)) return false;
    if (this.has(path, 'read')) return true;
    return this.visibilityLetsIn(this.visibilityOf(path));
  }

  /**
   * Whether anything at or below `path` is readable: a directory listing shows a private
   * directory to someone holding a grant (or a public path) somewhere inside it.
   */
  canSeeInto(path: string): boolean {
    if (this.canRead(path)) return true;
    if (this.limit) return isWithin(this.limit.path, path) && this.canRead(this.limit.path);
    if (this.grants.some((grant) => isWithin(grant.path, path) && this.has(grant.path, 'read'))) return true;
    return this.settings.some(
      (setting) =>
        isWithin(setting.path, path) &&
        setting.visibility !== null &&
        this.visibilityLetsIn(setting.visibility),
    );
  }

  /** Whether authors may merge their own merge requests under `path` (default: no). */
  selfMergeAllowed(path: string): boolean {
    return this.nearestSetting(path, 'selfMerge') ?? false;
  }

  /**
   * Throws unless the caller may read `path`. What cannot be read does not exist: users get 404;
   * anonymous callers get 401 (credentials might help, and a challenge is what makes git ask).
   */
  requireRead(path: string): void {
    if (!this.canRead(path)) throw this.hidden(path);
  }

  /** Throws unless the caller holds `role` on `path`: 404/401 when it cannot even read it, else 403. */
  require(path: string, role: Role, action?: string): void {
    if (this.has(path, role)) return;
    if (!this.canRead(path)) throw this.hidden(path);
    if (!this.isSignedIn)
      throw unauthorized('authentication_required', 'authentication required: use a token');
    throw forbidden('access_denied', `${action ?? 'this'} needs the ${role} role on ${path}`, { path, role });
  }

  private hidden(path: string) {
    if (!this.isSignedIn)
      return unauthorized('authentication_required', 'authentication required: use a token');
    return notFound('repository_not_found', `${path}: not found`, { path });
  }

  private withinLimit(path: string): boolean {
    return this.limit === undefined || isWithin(path, this.limit.path);
  }

  private visibilityLetsIn(visibility: Visibility): boolean {
    return visibility === 'public' || (visibility === 'internal' && this.isSignedIn);
  }

  private nearestSetting<K extends 'visibility' | 'selfMerge'>(
    path: string,
    key: K,
  ): NonNullable<PathSetting[K]> | undefined {
    return nearest(path, (candidate) => this.settingByPath.get(candidate)?.[key] ?? undefined) as
      NonNullable<PathSetting[K]> | undefined;
  }
}

/** The first defined `valueAt` from `path` up through its ancestors to `/`. */
function nearest<T>(path: string, valueAt: (candidate: string) => T | undefined): T | undefined {
  for (let candidate: string | undefined = path; candidate !== undefined; candidate = parentOf(candidate)) {
    const value = valueAt(candidate);
    if (value !== undefined) return value;
  }
  return undefined;
}
