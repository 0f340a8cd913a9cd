import { spawn } from 'node:child_process';

/** Longest answer read from `git credential fill` (a helper printing more is not one). */
const MAX_CREDENTIAL_OUTPUT = 64 * 1024;

/**
 * The token `mega` commands present to a remote server: `MEGA_TOKEN` when set, else the password
 * git's credential helper stores for that server (the one `git clone`/`git push` use, since Mega
 * takes the token as the HTTP password). The token never appears in arguments or URLs: the
 * helper is asked on stdin, with prompting disabled so a missing credential fails instead of
 * waiting for a terminal.
 */
export async function serverToken(
  server: URL,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const fromEnv = env.MEGA_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  return credentialFromGit(server, env);
}

async function credentialFromGit(server: URL, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const query = `protocol=${server.protocol.replace(/:$/, '')}\nhost=${server.host}\n\n`;
  const child = spawn('git', ['credential', 'fill'], {
    env: { ...env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    if (output.length < MAX_CREDENTIAL_OUTPUT) output += chunk;
  });
  const exit = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });
  child.stdin.on('error', () => {});
  child.stdin.end(query);
  if ((await exit) !== 0) return undefined;
  const password = output
    .split('\n')
    .find((line) => line.startsWith('password='))
    ?.slice('password='.length);
  return password ? password : undefined;
}
