import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { invalid, isMegaError } from '../../platform/errors.js';
import { parseScopes } from '../../access/roles.js';
import type { UserStore } from '../../storage/user-store.js';
import { openAppStorage } from '../app.js';

interface TokenCreateOptions {
  admin?: boolean;
  scope?: string;
  expires?: string;
  data?: string;
  config?: string;
  name?: string;
}

/**
 * `mega token create USER [--admin] [--data DIR]`: creates the user when missing and prints a new
 * token on the last line of stdout. Only the token's hash is stored.
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
        const scopes = parseScopes([options.scope ?? (options.admin ? 'read,write,admin' : 'read,write')]);
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
}

function expiryFrom(days: string): Date {
  const count = Number(days);
  if (!Number.isInteger(count) || count < 1 || count > 3650) {
    throw invalid('argument_invalid', '--expires takes a whole number of days from 1 to 3650');
  }
  return new Date(Date.now() + count * 86_400_000);
}

async function findOrCreateUser(users: UserStore, username: string, isAdmin: boolean) {
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
