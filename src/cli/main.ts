import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { MegaError } from '../platform/errors.js';
import { registerCommands } from './commands/index.js';

function packageVersion(): string {
  // src/cli/main.ts and dist/cli/main.js are both two levels below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('mega')
    .description('Mega: a monorepo Git platform with objects in SQL, and repository sync workers')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError();
  registerCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof MegaError) {
      process.stderr.write(`mega: ${error.message}${formatDetails(error.details)}\n`);
      return 1;
    }
    throw error;
  }
}

function formatDetails(details: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(details);
  return entries.length === 0 ? '' : ` (${entries.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')})`;
}
