import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { invalid, isMegaError, notFound } from '../../platform/errors.js';
import { MAX_TOKEN_DAYS, parseScopes, SCOPES } from '../../access/roles.js';
import type { UserStore } from '../../storage/user-store.js';
import { openAppStorage } from '../app.js';
import { storeOptions, type StoreOptions } from './access.js';

interface TokenCreateOptions {
  admin?: boolean;
  scope?: string;
  expires?: string;
  data?: string;
  config?: string;
  name?: string;
}

/**
 * `mega token create USER [--admin] [--scope S] [--expires DAYS]`: creates the user when missing
 * and prints a new token on the last line of stdout (only its hash is stored).
 * `mega token list USER` and `mega token revoke USER ID`.
 */
export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('manage access tokens');
  token
    .command('create <user>')
    .description('create an access token (and the user when missing); prints the token last')
    .option('--admin', 'give the user administrator rights')
    .option('--name <name>', 'a label for the token', 'cli')
    .option(
      '--scope <scopes>',
      'comma list of read, write, admin (default read,write; with --admin all three)',
    )
    .option('--expires <days>', 'days until the token stops working (default: never)')
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'JSON config file')
    .action(async (username: string, options: TokenCreateOptions) => {
      const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
      const storage = await openAppStorage(config);
      try {
        const users = storage.users;
        const user = await findOrCreateUser(users, username, options.admin === true);
        if (options.admin && !user.isAdmin) await users.setAdmin(user.id, true);
        const scopes = parseScopes([options.scope ?? (options.admin ? SCOPES.join(',') : 'read,write')]);
        const created = await users.createToken(user.id, options.name ?? 'cli', {
          scopes,
          ...(options.expires !== undefined ? { expiresAt: expiryFrom(options.expires) } : {}),
        });
        process.stderr.write(`token for ${user.username}${options.admin ? ' (admin)' : ''}:\n`);
        process.stdout.write(`${created.token}\n`);
      } finally {
        await storage.close();
      }
    });
  storeOptions(
    token.command('list <user>').description("list a user's tokens (never their plaintext)"),
  ).action((username: string, options: StoreOptions) =>
    withUsers(options, async (users) => {
      const user = await existingUser(users, username);
      const lines = (await users.listTokens(user.id)).map((info) =>
        [
          info.id,
          info.name,
          info.scopes.join(','),
          `created ${info.createdAt}`,
          `expires ${info.expiresAt ?? 'never'}`,
          `last used ${info.lastUsedAt ?? 'never'}`,
        ].join('\t'),
      );
      if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    }),
  );
  storeOptions(token.command('revoke <user> <id>').description("revoke one of a user's tokens")).action(
    (username: string, id: string, options: StoreOptions) =>
      withUsers(options, async (users) => {
        const user = await existingUser(users, username);
        const tokenId = Number(id);
        if (!Number.isSafeInteger(tokenId) || tokenId < 1) {
          throw invalid('argument_invalid', 'token id must be a positive whole number (see mega token list)');
        }
        await users.revokeToken(user.id, tokenId);
        process.stdout.write(`mega: revoked token ${tokenId} of ${user.username}\n`);
      }),
  );
}

async function withUsers(options: StoreOptions, work: (users: UserStore) => Promise<void>): Promise<void> {
  const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
  const storage = await openAppStorage(config);
  try {
    await work(storage.users);
  } finally {
    await storage.close();
  }
}

async function existingUser(users: UserStore, username: string) {
  const user = await users.findUser(username);
  if (!user) throw notFound('user_not_found', 'user not found', { user: username });
  return user;
}

function expiryFrom(days: string): Date {
  const count = Number(days);
  if (!Number.isInteger(count) || count < 1 || count > MAX_TOKEN_DAYS) {
    throw invalid('argument_invalid', `--expires takes a whole number of days from 1 to ${MAX_TOKEN_DAYS}`);
  }
  return new Date(Date.now() + count * 86_400_000);
}

export async function findOrCreateUser(users: UserStore, username: string, isAdmin: boolean) {
  const existing = await users.findUser(username);
  if (existing) return existing;
  try {
    return await users.createUser({ username, isAdmin });
  } catch (error) {
    // Another process created the same user in between.
    if (isMegaError(error, 'conflict')) {
      const raced = await users.findUser(username);
      if (raced) return raced;
    }
    throw error;
  }
}
