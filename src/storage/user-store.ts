import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { conflict, invalid, notFound } from '../platform/errors.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import type { UsersTable } from './schema.js';
import { nowTimestamp } from './sql-batches.js';

export interface User {
  readonly id: number;
  readonly username: string;
  readonly email: string | null;
  readonly isAdmin: boolean;
  readonly createdAt: string;
}

export interface AccessTokenInfo {
  readonly id: number;
  readonly userId: number;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  /** What the token may be used for (`read`, `write`, `admin`; `src/access/roles.ts`). */
  readonly scopes: readonly string[];
}

/** A user as a presented token authenticates them: the token's scopes come along. */
export interface AuthenticatedUser extends User {
  readonly tokenId: number;
  readonly scopes: readonly string[];
}

/** Tokens look like `mega_<43 base64url chars>`: 32 random bytes, recognisable in secret scanners. */
const TOKEN_PREFIX = 'mega_';
const TOKEN_BYTES = 32;
const MAX_TOKEN_LENGTH = 200;
const MAX_EMAIL_LENGTH = 255;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Writing last_used_at on every request would make every authenticated read a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: Number(row.id),
    username: row.username,
    email: row.email,
    isAdmin: Number(row.is_admin) === 1,
    createdAt: row.created_at,
  };
}

/** Users and their access tokens. Tokens are stored as sha256 hashes; the plaintext is returned once. */
export class UserStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async createUser(input: { username: string; email?: string; isAdmin?: boolean }): Promise<User> {
    if (!USERNAME.test(input.username)) {
      throw invalid('invalid_username', 'username must be 1-64 letters, digits, ".", "_" or "-"');
    }
    if (input.email !== undefined && (input.email.length > MAX_EMAIL_LENGTH || /[\s<>]/.test(input.email))) {
      throw invalid('invalid_email', 'email is too long or malformed');
    }
    try {
      await this.db
        .insertInto('users')
        .values({
          username: input.username,
          email: input.email ?? null,
          is_admin: input.isAdmin ? 1 : 0,
          created_at: nowTimestamp(),
        })
        .execute();
    } catch (error) {
      if (this.capabilities.isUniqueViolation(error)) {
        throw conflict('user_exists', 'a user with this name exists', { username: input.username });
      }
      throw error;
    }
    const user = await this.findUser(input.username);
    if (!user) throw notFound('user_not_found', 'user not found');
    return user;
  }

  async findUser(username: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async findUserById(id: number): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async listUsers(): Promise<User[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('id').execute()).map(toUser);
  }

  async setAdmin(userId: number, isAdmin: boolean): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ is_admin: isAdmin ? 1 : 0 })
      .where('id', '=', userId)
      .execute();
  }

  /** Creates a token; the returned `token` is the only time the plaintext exists outside the caller. */
  async createToken(
    userId: number,
    name: string,
    options: { expiresAt?: Date; scopes?: readonly string[] } = {},
  ): Promise<{ token: string; info: AccessTokenInfo }> {
    if (name.length === 0 || name.length > 100)
      throw invalid('invalid_token_name', 'token name must be 1-100 characters');
    const token = `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`;
    const tokenHash = hashToken(token);
    await this.db
      .insertInto('access_tokens')
      .values({
        user_id: userId,
        name,
        token_hash: tokenHash,
        created_at: nowTimestamp(),
        last_used_at: null,
        expires_at: options.expiresAt?.toISOString() ?? null,
        scopes: (options.scopes ?? ['read', 'write']).join(','),
      })
      .execute();
    const row = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirstOrThrow();
    return { token, info: toTokenInfo(row) };
  }

  /**
   * The user a presented token belongs to, or undefined (unknown, malformed, expired). Looks up
   * by hash, so the comparison never touches the plaintext; records the last use (coarsely).
   */
  async authenticate(token: string, now: Date = new Date()): Promise<AuthenticatedUser | undefined> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    const row = await this.db
      .selectFrom('access_tokens')
      .innerJoin('users', 'users.id', 'access_tokens.user_id')
      .select([
        'access_tokens.id as token_id',
        'access_tokens.expires_at',
        'access_tokens.last_used_at',
        'access_tokens.scopes',
        'users.id',
        'users.username',
        'users.email',
        'users.is_admin',
        'users.created_at',
      ])
      .where('access_tokens.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.expires_at !== null && row.expires_at <= now.toISOString()) return undefined;
    const lastUsed = row.last_used_at === null ? 0 : Date.parse(row.last_used_at);
    if (now.getTime() - lastUsed >= LAST_USED_RESOLUTION_MS) {
      await this.db
        .updateTable('access_tokens')
        .set({ last_used_at: now.toISOString() })
        .where('id', '=', row.token_id)
        .execute();
    }
    return { ...toUser(row), tokenId: Number(row.token_id), scopes: splitScopes(row.scopes) };
  }

  async listTokens(userId: number): Promise<AccessTokenInfo[]> {
    const rows = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    return rows.map(toTokenInfo);
  }

  /** Revokes one of the user's tokens; `not_found` when it is not theirs. */
  async revokeToken(userId: number, tokenId: number): Promise<void> {
    const result = await this.db
      .deleteFrom('access_tokens')
      .where('id', '=', tokenId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('token_not_found', 'token not found');
  }
}

function splitScopes(scopes: string): string[] {
  return scopes.split(',').filter((scope) => scope !== '');
}

function toTokenInfo(row: {
  id: number;
  user_id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  scopes: string;
}): AccessTokenInfo {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    scopes: splitScopes(row.scopes),
  };
}
