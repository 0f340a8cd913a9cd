import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid } from '../platform/errors.js';
import { parseRemoteUrl } from './remote-url.js';
import { appendAll } from '../platform/append-all.js';

/**
 * Credentials for one git process, decrypted just before it starts. Passwords and tokens become
 * an `Authorization` header scoped to the remote URL and handed to git through `GIT_CONFIG_*`
 * environment variables (git-config(1) "ENVIRONMENT"), so they are in neither argv, the URL nor
 * any `.git/config`. SSH keys go to a 0600 file in a private temp directory removed afterwards.
 */
export type GitCredential =
  | { readonly type: 'password' | 'token'; readonly username: string | null; readonly secret: string }
  | {
      readonly type: 'ssh_key';
      readonly username: string | null;
      readonly secret: string;
      /** known_hosts line(s) for the server; a bare `type key` gets the URL's host prepended. */
      readonly knownHost: string | null;
    };

export interface PreparedAuth {
  /** Extra `GIT_CONFIG_*` pairs (key, value). */
  readonly config: ReadonlyArray<readonly [string, string]>;
  readonly env: Readonly<Record<string, string>>;
  /** Every value that must never be shown, for the redactor. */
  readonly secrets: readonly string[];
  cleanup(): Promise<void>;
}

/** Git's user name for token auth when the credential has none (GitHub, Gitea accept it). */
export const TOKEN_DEFAULT_USERNAME = 'x-access-token';

export const NO_AUTH: PreparedAuth = { config: [], env: {}, secrets: [], cleanup: async () => {} };

export async function prepareGitAuth(
  credential: GitCredential | null,
  remoteUrl: string,
  options: { tempRoot: string; strictHostKeyChecking: boolean },
): Promise<PreparedAuth> {
  const remote = parseRemoteUrl(remoteUrl);
  if (remote.transport === 'ssh') return prepareSsh(credential, remote.host, remote.port, options);
  if (credential === null) return NO_AUTH;
  if (credential.type === 'ssh_key') {
    throw invalid('credential_transport_mismatch', 'an ssh key credential needs an ssh:// or scp-style url');
  }
  if (remote.transport !== 'http') return NO_AUTH;
  const username = credential.username ?? (credential.type === 'token' ? TOKEN_DEFAULT_USERNAME : '');
  const basic = Buffer.from(`${username}:${credential.secret}`, 'utf8').toString('base64');
  const header = `Authorization: Basic ${basic}`;
  return {
    // Scoped to the remote's URL so the header never goes to another host (git-config http.<url>.*).
    config: [[`http.${remoteUrl}.extraHeader`, header]],
    env: {},
    secrets: [credential.secret, basic, `${username}:${credential.secret}`],
    cleanup: async () => {},
  };
}

async function prepareSsh(
  credential: GitCredential | null,
  host: string,
  port: number | null,
  options: { tempRoot: string; strictHostKeyChecking: boolean },
): Promise<PreparedAuth> {
  if (credential !== null && credential.type !== 'ssh_key') {
    throw invalid('credential_transport_mismatch', 'ssh urls need an ssh_key credential');
  }
  const dir = await mkdtemp(join(options.tempRoot, 'ssh-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const knownHostsFile = join(dir, 'known_hosts');
    const knownHost = credential?.knownHost ?? '';
    await writeFile(knownHostsFile, knownHostsText(knownHost, host, port), { mode: 0o600 });
    const strict = options.strictHostKeyChecking || knownHost.trim() !== '';
    const sshOptions = [
      '-F /dev/null',
      '-o IdentitiesOnly=yes',
      '-o BatchMode=yes',
      '-o GlobalKnownHostsFile=/dev/null',
      `-o UserKnownHostsFile=${knownHostsFile}`,
      `-o StrictHostKeyChecking=${strict ? 'yes' : 'no'}`,
    ];
    const secrets: string[] = [];
    if (credential !== null) {
      const keyFile = join(dir, 'id');
      const key = credential.secret.endsWith('\n') ? credential.secret : `${credential.secret}\n`;
      await writeFile(keyFile, key, { mode: 0o600 });
      sshOptions.unshift(`-i ${keyFile}`);
      appendAll(
        secrets,
        credential.secret.split('\n').filter((line) => line.length > 16 && !line.startsWith('-----')),
      );
    } else {
      sshOptions.unshift('-o IdentityFile=none');
    }
    // Paths come from mkdtemp under our own temp root (no spaces or quotes); GIT_SSH_COMMAND is
    // run by a shell, so nothing user-supplied goes in it.
    return { config: [], env: { GIT_SSH_COMMAND: `ssh ${sshOptions.join(' ')}` }, secrets, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

const KEY_TYPE_PREFIX = /^(ssh-|ecdsa-|sk-)/;

/** Stored known-host lines; a line holding only `type key` is bound to the URL's host. */
export function knownHostsText(stored: string, host: string, port: number | null): string {
  const pattern = port === null || port === 22 ? host : `[${host}]:${port}`;
  return stored
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => (KEY_TYPE_PREFIX.test(line) ? `${pattern} ${line}` : line))
    .map((line) => `${line}\n`)
    .join('');
}
