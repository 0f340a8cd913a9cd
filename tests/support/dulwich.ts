import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's interpreter: the one that has `python3-dulwich` (a pyenv shim may come first in PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** dulwich fetches the refs named after the repository into a new repository. argv: url, target, refs… */
const FETCH_REFS = `
import sys
from dulwich.client import get_transport_and_path
from dulwich.repo import Repo
url, target, names = sys.argv[1], sys.argv[2], [name.encode() for name in sys.argv[3:]]
client, path = get_transport_and_path(url)
repo = Repo.init(target, mkdir=True)
fetched = client.fetch(path, repo, determine_wants=lambda refs, depth=None: [refs[name] for name in names])
for name in names:
    repo.refs[name] = fetched.refs[name]
`;

/**
 * dulwich (pure Python, its own protocol code) fetches `refs` (full names) from `url` into a new
 * repository at `target`, each ref set to what the server advertised.
 */
export async function dulwichFetchRefs(url: string, target: string, refs: readonly string[]): Promise<void> {
  await run(DEBIAN_PYTHON, ['-c', FETCH_REFS, url, target, ...refs]);
}
