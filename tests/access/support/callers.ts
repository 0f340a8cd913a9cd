import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The callers of the permission matrix (issue 16): every cell is one of them trying one action. */
export const CALLERS = ['anonymous', 'other', 'reader', 'writer', 'maintainer', 'admin'] as const;
export type Caller = (typeof CALLERS)[number];
export type SignedInCaller = Exclude<Caller, 'anonymous'>;
export const SIGNED_IN: readonly SignedInCaller[] = ['other', 'reader', 'writer', 'maintainer', 'admin'];

/**
 * An isolated global git config for one caller: the LFS filters and, for a signed-in caller, its
 * token sent on every request as an `http.extraHeader` (git and git-lfs both honour it), from a
 * 0600 file: never in a URL or an argument. git asks for credentials only after a 401, so without
 * it a signed-in caller would read public paths (a directory clone of /projects) as anonymous.
 * The anonymous caller has no credential helper and prompts are off (`GIT_TERMINAL_PROMPT=0`),
 * so a 401 ends with git's "could not read Username".
 * → the environment git and git-lfs need to run as that caller.
 */
export async function callerGitEnv(
  root: string,
  caller: Caller,
  token: string | undefined,
): Promise<Record<string, string>> {
  const home = join(root, `home-${caller}`);
  await mkdir(home, { recursive: true });
  const config = join(home, 'gitconfig');
  await writeFile(
    config,
    [
      '[filter "lfs"]',
      '\tclean = git-lfs clean -- %f',
      '\tsmudge = git-lfs smudge -- %f',
      '\tprocess = git-lfs filter-process',
      '\trequired = true',
      '[init]',
      '\tdefaultBranch = main',
      '[advice]',
      '\tdetachedHead = false',
      ...(token ? ['[http]', `\textraHeader = Authorization: Bearer ${token}`] : []),
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return {
    HOME: home,
    GIT_CONFIG_GLOBAL: config,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
  };
}
