import type { Command } from 'commander';

/**
 * The options of a command that acts either through a server's REST API as a user (`--server`,
 * the token from MEGA_TOKEN or git's credential helper) or on the local data directory as its
 * operator (`--data`, `--config`), and prints JSON on request.
 */
export function serverOrLocalOptions(command: Command): Command {
  return command
    .option('--server <url>', 'act through this server as the token user (MEGA_TOKEN or git credentials)')
    .option('--data <dir>', 'data directory (default ./data), without --server')
    .option('--config <file>', 'JSON config file, without --server')
    .option('--json', 'print JSON');
}
