import { git, gitText } from '../../support/git-cli.js';

/** One commit to create: on `ref` (created or moved), with `parent` (a ref or id), adding `files`. */
export interface SeedCommit {
  readonly ref: string;
  readonly parent?: string;
  readonly message: string;
  readonly files: Readonly<Record<string, string>>;
}

const COMMITTER = 'Seed <seed@example.com> 1700000000 +0000';

/**
 * Creates many small commits in one `git fast-import` run (one process instead of five git
 * commands a commit): each keeps its parent's tree and adds `files`. → ref name → commit id.
 */
export async function seedCommits(dir: string, commits: readonly SeedCommit[]): Promise<Map<string, string>> {
  const parts: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (const commit of commits) {
    parts.push(`commit ${commit.ref}\ncommitter ${COMMITTER}\n${data(commit.message)}`);
    if (commit.parent) parts.push(`from ${commit.parent}\n`);
    for (const [path, content] of Object.entries(commit.files)) {
      parts.push(`M 100644 inline ${path}\n${data(content)}`);
    }
    parts.push('\n');
  }
  await git(['fast-import', '--quiet'], { cwd: dir, input: parts.join('') });
  const refs = commits.map((commit) => commit.ref);
  const ids = (await gitText(['rev-parse', ...refs], { cwd: dir })).split('\n');
  return new Map(refs.map((ref, index) => [ref, ids[index] ?? '']));
}
