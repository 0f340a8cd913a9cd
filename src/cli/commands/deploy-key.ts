import type { Command } from 'commander';
import { SshKeyService } from '../../ssh/ssh-key-service.js';
import { storeOptions, type StoreOptions } from './access.js';
import { existingUser, formatKey, parseId, readKey, withStorage } from './user.js';

interface DeployKeyAddOptions extends StoreOptions {
  as: string;
  write?: boolean;
  title?: string;
}

/**
 * `mega deploy-key add PATH FILE|- --as USER [--write] [--title T]`, `mega deploy-key list [PATH]`,
 * `mega deploy-key remove ID`: SSH keys bound to one path of the Mega directory, read-only unless
 * `--write` (docs/ssh.md). A deploy key's pushes are recorded as the `--as` user's.
 */
export function registerDeployKeyCommand(program: Command): void {
  const deployKey = program
    .command('deploy-key')
    .description('manage SSH deploy keys (one path, read-only or read-write)');
  storeOptions(
    deployKey
      .command('add <path> <file>')
      .description('add a deploy key on a path (a .pub file, or - for stdin)')
      .requiredOption('--as <user>', 'the user the key acts as (pushes and merge requests name them)')
      .option('--write', 'allow pushes (default: read-only)')
      .option('--title <title>', 'a label for the key (default: the key comment)'),
  ).action((path: string, file: string, options: DeployKeyAddOptions) =>
    withStorage(options, async (storage) => {
      const creator = await existingUser(storage, options.as);
      const added = await new SshKeyService(storage.ssh).addDeployKey({
        path,
        write: options.write === true,
        key: readKey(file),
        ...(options.title !== undefined ? { title: options.title } : {}),
        createdBy: creator.id,
      });
      process.stdout.write(`${formatKey(added)}\n`);
    }),
  );
  storeOptions(deployKey.command('list [path]').description('list deploy keys (of one path, or all)')).action(
    (path: string | undefined, options: StoreOptions) =>
      withStorage(options, async (storage) => {
        const keys = await new SshKeyService(storage.ssh).listDeployKeys(path);
        if (keys.length > 0) process.stdout.write(`${keys.map(formatKey).join('\n')}\n`);
      }),
  );
  storeOptions(deployKey.command('remove <id>').description('remove a deploy key')).action(
    (id: string, options: StoreOptions) =>
      withStorage(options, async (storage) => {
        await new SshKeyService(storage.ssh).removeDeployKey(parseId(id, 'mega deploy-key list'));
        process.stdout.write(`mega: removed deploy key ${id}\n`);
      }),
  );
}
