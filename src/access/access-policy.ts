import type { AccessStore } from '../storage/access/access-store.js';
import { Permissions, type EffectiveGrant, type PathSetting } from './permissions.js';
import type { Principal } from './principal.js';
import { isRole, VISIBILITIES, type Visibility } from './roles.js';

/** What the policy reads: storage's `AccessStore` in production. */
export type AccessRules = Pick<AccessStore, 'grantsOf' | 'pathSettings'>;

export interface AccessPolicyOptions {
  /** `MEGA_ANONYMOUS_READ`: paths that set no visibility are `public` when true, else `internal`. */
  readonly anonymousRead: boolean;
}

/**
 * Loads what decides a principal's rights: their grants (own and groups') and every path's
 * settings, fresh from the database for each request (two small queries), so a grant changed
 * through any server applies on all of them at once.
 */
export class AccessPolicy {
  readonly defaultVisibility: Visibility;

  constructor(
    private readonly rules: AccessRules,
    options: AccessPolicyOptions,
  ) {
    this.defaultVisibility = options.anonymousRead ? 'public' : 'internal';
  }

  async permissionsOf(principal: Principal): Promise<Permissions> {
    const limit = principal.kind === 'user' ? principal.limit : undefined;
    const [grants, settings] = await Promise.all([
      // A deploy key's role is its own grant; no grants of the user who added it apply.
      limit?.granted
        ? [{ path: limit.path, role: limit.role }]
        : principal.kind === 'user' && !principal.isAdmin
          ? this.rules.grantsOf(principal.userId)
          : [],
      this.rules.pathSettings(),
    ]);
    const effective: EffectiveGrant[] = [];
    for (const grant of grants) {
      // A row with a role this version does not know grants nothing rather than failing reads.
      if (isRole(grant.role)) effective.push({ path: grant.path, role: grant.role });
    }
    const known: PathSetting[] = settings.map((setting) => ({
      path: setting.path,
      // An unknown stored value hides rather than exposes.
      visibility:
        setting.visibility === null
          ? null
          : (VISIBILITIES as readonly string[]).includes(setting.visibility)
            ? (setting.visibility as Visibility)
            : 'private',
      selfMerge: setting.selfMerge,
    }));
    return new Permissions(principal, effective, known, this.defaultVisibility);
  }
}
