import { mkdir } from 'node:fs/promises';
import { git, gitText } from '../../support/git-cli.js';
import { lfsObject, PATHS, putLfsObject, type AccessWorld } from './access-world.js';
import type { Caller } from './callers.js';
import { gitOutcome, lfsOutcome, restOutcome, type Outcome, type RestAnswer } from './outcomes.js';

/** One action of the matrix, tried by one caller against the shared world. */
export type Action = (world: AccessWorld, caller: Caller) => Promise<Outcome>;

const runGit = (world: AccessWorld, caller: Caller, args: readonly string[], cwd?: string) =>
  git(args, { env: world.env[caller], check: false, ...(cwd ? { cwd } : {}) });

export function clone(path: string): Action {
  return async (world, caller) => {
    const cloned = await runGit(world, caller, [
      'clone',
      '-q',
      `${world.url}${path}`,
      world.freshDir('clone'),
    ]);
    return gitOutcome(cloned.code, cloned.stderr);
  };
}

/** `git fetch` of the default branch into an empty repository. */
export function fetchMain(path: string): Action {
  return async (world, caller) => {
    const dir = world.freshDir('fetch');
    await git(['init', '-q', dir]);
    const fetched = await runGit(world, caller, ['fetch', '-q', `${world.url}${path}`, 'main'], dir);
    return gitOutcome(fetched.code, fetched.stderr);
  };
}

/** A push from the seed repository (each caller has its own branches, so cells never collide). */
function push(path: string, refspec: (world: AccessWorld, caller: Caller) => string): Action {
  return async (world, caller) => {
    const pushed = await runGit(
      world,
      caller,
      ['push', `${world.url}${path}`, refspec(world, caller)],
      world.seed,
    );
    return gitOutcome(pushed.code, pushed.stderr);
  };
}

const commitOf = (world: AccessWorld, ref: string) => {
  const id = world.commits.get(ref);
  if (!id) throw new Error(`no seed commit ${ref}`);
  return id;
};

/** Fast-forwards the caller's `work/` branch. */
export const pushBranch = (path: string) =>
  push(path, (world, caller) => `${commitOf(world, `refs/seed/push/${caller}`)}:refs/heads/work/${caller}`);
/** Fast-forwards the caller's branch matching the protected pattern `release/*`. */
export const pushProtected = (path: string) =>
  push(
    path,
    (world, caller) => `${commitOf(world, `refs/seed/push/${caller}`)}:refs/heads/release/${caller}`,
  );
/** Moves the caller's `force/` branch back one commit (not a fast-forward). */
export const forcePush = (path: string) =>
  push(path, (world, caller) => `+${commitOf(world, 'refs/heads/main')}:refs/heads/force/${caller}`);
/** Deletes the caller's `gone/` branch. */
export const deleteBranch = (path: string) => push(path, (_world, caller) => `:refs/heads/gone/${caller}`);

/** A push to a /projects view: success means the server opened a merge request. */
export const openMergeRequest: Action = async (world, caller) => {
  const ref = `refs/seed/mr/${caller}`;
  const pushed = await runGit(
    world,
    caller,
    ['push', `${world.url}${PATHS.app}`, `${commitOf(world, ref)}:refs/heads/mr/${caller}`],
    world.seed,
  );
  const outcome = gitOutcome(pushed.code, pushed.stderr);
  if (outcome.kind === 'ok' && !/remote: merge request !\d+/.test(pushed.stderr)) {
    return { kind: 'unrecognised', output: `pushed, but no merge request was opened:\n${pushed.stderr}` };
  }
  return outcome;
};

async function rest(
  world: AccessWorld,
  caller: Caller,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string> = {},
): Promise<RestAnswer> {
  const response = await fetch(`${world.url}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(caller === 'anonymous' ? {} : { authorization: `Bearer ${world.tokens[caller]}` }),
      ...headers,
    },
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text, so an unexpected answer shows what it was.
  }
  const challenge = response.headers.get('www-authenticate');
  return { status: response.status, body, ...(challenge ? { challenge } : {}) };
}

/** `POST /api/v1/merge-requests/N/merge` of a merge request opened while setting up. */
export function mergeMergeRequest(which: 'others' | 'own' | 'ownWhereAllowed'): Action {
  return async (world, caller) => {
    const number = world.mergeRequests[which][caller];
    if (number === undefined) throw new Error(`${caller} has no ${which} merge request`);
    return restOutcome(await rest(world, caller, 'POST', `/api/v1/merge-requests/${number}/merge`));
  };
}

/** A REST read of a repository (`tree` or `refs`). */
export function restRead(endpoint: 'tree' | 'refs', repo: string): Action {
  return async (world, caller) => {
    const query = new URLSearchParams({ repo, ...(endpoint === 'tree' ? { ref: 'main' } : {}) });
    return restOutcome(await rest(world, caller, 'GET', `/api/v1/repos/${endpoint}?${query.toString()}`));
  };
}

/** `GET /api/v1/directory?path=P`: success shows the names listed. */
export function restList(path: string): Action {
  return async (world, caller) => {
    const answer = await rest(world, caller, 'GET', `/api/v1/directory?${new URLSearchParams({ path })}`);
    const outcome = restOutcome(answer);
    if (outcome.kind !== 'ok') return outcome;
    const entries = (answer.body as { entries?: Array<{ name: string }> }).entries ?? [];
    return { kind: 'ok', shows: entries.map((entry) => entry.name).sort() };
  };
}

/** What a browser sends for the UI's own API requests (`ui/src/api.ts`). */
const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
  'sec-fetch-mode': 'cors',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-dest': 'empty',
};

/**
 * The UI's page of a repository: the page itself (the single-page app, the same for everyone)
 * and the tree it loads over REST as the browser asks for it. A 401 here must come without a
 * Basic challenge, which would make the browser show a login dialog.
 */
export function uiPage(repo: string): Action {
  return async (world, caller) => {
    const page = await fetch(`${world.url}/ui/repo${repo}/-/tree/main`, {
      headers: { ...BROWSER_HEADERS, accept: 'text/html' },
    });
    const html = await page.text();
    if (page.status !== 200 || !/<div id="root">/.test(html) || html.includes(repo)) {
      return { kind: 'unrecognised', output: `UI page answered ${page.status}: ${html.slice(0, 200)}` };
    }
    const query = new URLSearchParams({ repo, ref: 'main' });
    const data = await rest(world, caller, 'GET', `/api/v1/repos/tree?${query.toString()}`, BROWSER_HEADERS);
    return restOutcome(data, { browser: true });
  };
}

/** A clone of a directory view: success shows the top-level names of its tree. */
export function directoryClone(path: string): Action {
  return async (world, caller) => {
    const dir = world.freshDir('directory-clone');
    const cloned = await runGit(world, caller, ['clone', '-q', '--no-checkout', `${world.url}${path}`, dir]);
    const outcome = gitOutcome(cloned.code, cloned.stderr);
    if (outcome.kind !== 'ok') return outcome;
    const names = await gitText(['ls-tree', '--name-only', 'HEAD'], { cwd: dir });
    return { kind: 'ok', shows: names.split('\n').filter(Boolean).sort() };
  };
}

/** git-lfs names the HTTP status of each answer in its trace (`HTTP: 404`); bodies and headers stay out. */
const LFS_TRACE = { GIT_TRACE: '1' };

const runLfs = (world: AccessWorld, caller: Caller, args: readonly string[], cwd: string) =>
  git(args, { env: { ...world.env[caller], ...LFS_TRACE }, check: false, cwd });

/** A repository for git-lfs commands whose `origin` is `path` on the server. */
async function lfsRepository(world: AccessWorld, path: string): Promise<string> {
  const dir = world.freshDir('lfs');
  await mkdir(dir, { recursive: true });
  await git(['init', '-q', dir]);
  await git(['remote', 'add', 'origin', `${world.url}${path}`], { cwd: dir });
  return dir;
}

/** `git lfs push --object-id`: uploads an object only this caller has. */
export function lfsUpload(path: string): Action {
  return async (world, caller) => {
    const dir = await lfsRepository(world, path);
    const object = lfsObject(`uploaded by ${caller} to ${path} on ${world.dialect}\n`);
    await putLfsObject(dir, object);
    const pushed = await runLfs(world, caller, ['lfs', 'push', '--object-id', 'origin', object.oid], dir);
    return lfsOutcome(pushed.code, `${pushed.stdout.toString()}${pushed.stderr}`);
  };
}

/** `git lfs smudge` of a pointer: downloads the object the admin uploaded while setting up. */
export function lfsDownload(path: string): Action {
  return async (world, caller) => {
    const dir = await lfsRepository(world, path);
    const smudged = await git(['lfs', 'smudge', '--', 'object.bin'], {
      cwd: dir,
      env: { ...world.env[caller], ...LFS_TRACE },
      input: world.lfsDownload.pointer,
      check: false,
    });
    const outcome = lfsOutcome(smudged.code, smudged.stderr);
    if (outcome.kind === 'ok' && smudged.stdout.toString() !== world.lfsDownload.content) {
      return { kind: 'unrecognised', output: `downloaded other content: ${smudged.stdout.toString()}` };
    }
    return outcome;
  };
}

/** `git lfs lock` of a path only this caller locks. */
export function lfsLock(path: string): Action {
  return async (world, caller) => {
    const dir = await lfsRepository(world, path);
    const locked = await runLfs(world, caller, ['lfs', 'lock', `locks/${caller}.bin`], dir);
    return lfsOutcome(locked.code, `${locked.stdout.toString()}${locked.stderr}`);
  };
}
