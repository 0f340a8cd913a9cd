import type { Command } from 'commander';

/**
 * Every `mega` sub-command registers itself here, one file per command group.
 */
export function registerCommands(_program: Command): void {}
