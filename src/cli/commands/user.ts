import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { invalid, notFound } from '../../platform/errors.js';
import { SshKeyService } from '../../ssh/ssh-key-service.js';
import type { SshKeyInfo } from '../../storage/ssh/ssh-key-store.js';
import type { Storage } from '../../storage/storage.js';
import { openAppStorage } from '../app.js';
import { storeOptions, type StoreOptions } from './access.js';

interface KeyAddOptions extends StoreOptions {
  title?: string;
}

/**
 * `mega user key add USER FILE|- [--title T]`, `mega user key list USER`,
 * `mega user key remove USER ID`: a user's SSH public keys (git over SSH, docs/ssh.md), as the
 * operator (no permission check: the command has the database). `-` reads the key from stdin.
 */
export function registerUserCommand(program: Command): void {
  const user = program.command('user').description("manage users' SSH keys");
  const key = user.command('key').description('SSH public keys of a user (git over SSH)');
  storeOptions(
    key
      .command('add <user> <file>')
      .description('add a public key (a .pub file, or - for stdin); prints its fingerprint')
      .option('--title <title>', 'a label for the key (default: the key comment)'),
  ).action((username: string, file: string, options: KeyAddOptions) =>
    withStorage(options, async (storage) => {
      const owner = await existingUser(storage, username);
      const added = await new SshKeyService(storage.ssh).addUserKey(owner.id, readKey(file), options.title);
      process.stdout.write(`${formatKey(added)}\n`);
    }),
  );
  storeOptions(key.command('list <user>').description("list a user's keys")).action(
    (username: string, options: StoreOptions) =>
      withStorage(options, async (storage) => {
        const owner = await existingUser(storage, username);
        const keys = await new SshKeyService(storage.ssh).listUserKeys(owner.id);
        if (keys.length > 0) process.stdout.write(`${keys.map(formatKey).join('\n')}\n`);
      }),
  );
  storeOptions(key.command('remove <user> <id>').description("remove one of a user's keys")).action(
    (username: string, id: string, options: StoreOptions) =>
      withStorage(options, async (storage) => {
        const owner = await existingUser(storage, username);
        await new SshKeyService(storage.ssh).removeUserKey(owner.id, parseId(id, 'mega user key list'));
        process.stdout.write(`mega: removed key ${id} of ${owner.username}\n`);
      }),
  );
}

/** A key as one tab-separated line: id, title, type and bits, fingerprint, dates. */
export function formatKey(key: SshKeyInfo): string {
  const scope =
    key.owner.kind === 'deploy' ? [`${key.owner.path}`, key.owner.write ? 'read-write' : 'read-only'] : [];
  return [
    key.id,
    key.title,
    `${key.type} ${key.bits}`,
    key.fingerprint,
    ...scope,
    `added ${key.createdAt}`,
    `last used ${key.lastUsedAt ?? 'never'}`,
  ].join('\t');
}

/** The key text from a file, or stdin for `-`; never from argv (a long line in `ps` helps nobody). */
export function readKey(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw invalid('argument_invalid', `cannot read the key from ${file === '-' ? 'stdin' : file} (${code})`);
  }
}

export function parseId(id: string, listCommand: string): number {
  const value = Number(id);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw invalid('argument_invalid', `key id must be a positive whole number (see ${listCommand})`);
  }
  return value;
}

export async function withStorage(
  options: StoreOptions,
  work: (storage: Storage) => Promise<void>,
): Promise<void> {
  const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
  const storage = await openAppStorage(config);
  try {
    await work(storage);
  } finally {
    await storage.close();
  }
}

export async function existingUser(storage: Storage, username: string) {
  const found = await storage.users.findUser(username);
  if (!found) throw notFound('user_not_found', 'user not found', { user: username });
  return found;
}
