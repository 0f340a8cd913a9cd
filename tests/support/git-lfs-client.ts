import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const MiB = 1024 * 1024;

/**
 * An isolated global git config for `user` under `root`: LFS filters, lock verification and a
 * credential helper reading the token from a 0600 file (never a URL or an argument). → the
 * environment git needs to run as that user.
 */
export async function configureLfsUser(
  root: string,
  user: string,
  token: string,
): Promise<Record<string, string>> {
  const home = join(root, `home-${user}`);
  await mkdir(home, { recursive: true });
  const tokenFile = join(home, 'token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  const helper = join(home, 'credential-helper.sh');
  await writeFile(
    helper,
    `#!/bin/sh\ntest "$1" = get || exit 0\necho username=${user}\necho "password=$(cat '${tokenFile}')"\n`,
    { mode: 0o700 },
  );
  const config = join(home, 'gitconfig');
  await writeFile(
    config,
    [
      '[filter "lfs"]',
      '\tclean = git-lfs clean -- %f',
      '\tsmudge = git-lfs smudge -- %f',
      '\tprocess = git-lfs filter-process',
      '\trequired = true',
      '[credential]',
      `\thelper = ${helper}`,
      '[lfs]',
      '\tlocksverify = true',
      '[init]',
      '\tdefaultBranch = main',
      '',
    ].join('\n'),
  );
  return { HOME: home, GIT_CONFIG_GLOBAL: config };
}

/** Writes `bytes` random bytes to `path` in 1 MiB pieces; → their sha256 (the LFS oid). */
export async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += MiB) {
    const chunk = randomBytes(Math.min(MiB, bytes - written));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return hash.digest('hex');
}

/** sha256 of a file's content, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
