import { pushBody } from '../../tests/support/hostile-packs.js';
import { HOSTILE_CASES, rawPack, type HostileCase } from '../../tests/support/hostile-objects.js';
import { streamedRequest } from '../../tests/support/streamed-request.js';
import type { HostileContext } from './hostile-inputs.js';

/**
 * Pushes of the objects git's fsck refuses (issue 14 §2), one per case of
 * `tests/support/hostile-objects.ts`, with the controls git accepts: each case's pack (the culprit
 * with what it needs: the commit over a hostile tree, the commit a hostile tag names, the tree
 * holding a hostile `.gitmodules`) pushed as a new ref of the bench repository. They are small, so
 * the bench sends them all to one server and reports each with that server's peak while it ran.
 */
export interface FsckPush {
  readonly name: string;
  /** What `git index-pack --strict` does with the case (the oracle test checks it against git). */
  readonly git: HostileCase['git'];
  /** `accepted`, or `refused <msgId>[,<msgId>…]` (or the reason where git names no id). */
  send(context: HostileContext): Promise<string>;
}

/** A ref of its own per case: branches for commits, tags for tags (a branch must name a commit). */
function refFor(testCase: HostileCase): string {
  const name = `fsck/${testCase.name.replace(/[^A-Za-z0-9-]/g, '-')}`;
  return testCase.tip.type === 'tag' ? `refs/tags/${name}` : `refs/heads/${name}`;
}

/**
 * The verdict from report-status (pack-protocol.txt): `unpack <error>` carries the fsck finding as
 * git's receive-pack words it (`object <id>: <msgId>: <text>`); an `ng` line refuses the ref alone.
 */
export function fsckVerdict(status: number, body: Buffer): string {
  if (status >= 400) return `refused (HTTP ${status})`;
  const lines: string[] = [];
  for (let at = 0; at + 4 <= body.length;) {
    const length = Number.parseInt(body.toString('latin1', at, at + 4), 16);
    if (!Number.isInteger(length)) break;
    if (length >= 4) lines.push(body.toString('utf8', at + 4, at + length).replace(/\n$/, ''));
    at += Math.max(length, 4);
  }
  const unpack = lines.find((line) => line.startsWith('unpack '));
  if (unpack === undefined) return 'no report-status';
  const reason = unpack === 'unpack ok' ? lines.find((line) => line.startsWith('ng ')) : unpack;
  if (reason === undefined) return 'accepted';
  const ids = [...new Set([...reason.matchAll(/object [0-9a-f]{40,64}: (\w+):/g)].map((m) => m[1]))];
  if (ids.length > 0) return `refused ${ids.join(',')}`;
  // A broken link ("… is a blob, not a tree"): git names no message id either.
  const short = reason.replace(/^(unpack|ng \S+) /, '').replace(/\b([0-9a-f]{7})[0-9a-f]{33,57}\b/g, '$1');
  return `refused (${short.slice(0, 60)})`;
}

export function fsckPushes(cases: readonly HostileCase[] = HOSTILE_CASES): FsckPush[] {
  return cases.map((testCase) => ({
    name: `fsck push: ${testCase.name}`,
    git: testCase.git,
    async send(context) {
      const pack = await rawPack(testCase.objects);
      const reply = await streamedRequest(`${context.url}${context.repo}/git-receive-pack`, {
        headers: {
          'Content-Type': 'application/x-git-receive-pack-request',
          Authorization: `Bearer ${context.token}`,
        },
        body: [pushBody(refFor(testCase), testCase.tip.id, pack)],
      });
      return fsckVerdict(reply.status, reply.body);
    },
  }));
}
