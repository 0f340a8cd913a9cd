import type { Command } from 'commander';
import { registerMigrateCommand } from './migrate.js';
import { registerServeCommand } from './serve.js';
import { registerSyncCommand } from './sync.js';
import { registerTokenCommand } from './token.js';
import { registerWorkerCommand } from './worker.js';
import { registerInitCommand } from './init.js';
import { registerMrCommand } from './mr.js';
import { registerRepoCommand } from './repo.js';
import { registerFsckCommand } from './fsck.js';
import { registerLfsCommand } from './lfs.js';
import { registerAccessCommand } from './access.js';
import { registerGroupCommand } from './group.js';
import { registerCommitCommand } from './commit.js';
import { registerSearchCommand } from './search.js';
import { registerWebhookCommand } from './webhook.js';
import { registerUserCommand } from './user.js';
import { registerDeployKeyCommand } from './deploy-key.js';
import { registerGithubCommand } from './github.js';

/**
 * Every `mega` sub-command registers itself here, one file per command group.
 */
export function registerCommands(program: Command): void {
  registerServeCommand(program);
  registerInitCommand(program);
  registerMrCommand(program);
  registerRepoCommand(program);
  registerTokenCommand(program);
  registerMigrateCommand(program);
  registerWorkerCommand(program);
  registerSyncCommand(program);
  registerFsckCommand(program);
  registerLfsCommand(program);
  registerAccessCommand(program);
  registerGroupCommand(program);
  registerCommitCommand(program);
  registerSearchCommand(program);
  registerWebhookCommand(program);
  registerUserCommand(program);
  registerDeployKeyCommand(program);
  registerGithubCommand(program);
}
