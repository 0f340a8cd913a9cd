import type { Command } from 'commander';
import { registerMigrateCommand } from './migrate.js';
import { registerServeCommand } from './serve.js';
import { registerTokenCommand } from './token.js';

/**
 * Every `mega` sub-command registers itself here, one file per command group.
 */
export function registerCommands(program: Command): void {
  registerServeCommand(program);
  registerTokenCommand(program);
  registerMigrateCommand(program);
}
