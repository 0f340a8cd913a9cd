import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { notFound } from '../platform/errors.js';
import { ForegroundWork } from '../platform/foreground-work.js';
import { ChannelSink } from './channel-sink.js';
import { runGitSession, type GitSessionDeps } from './git-session.js';

describe('runGitSession', () => {
  it('marks the command in flight until it ends, refused ones too', async () => {
    const gitRequests = new ForegroundWork({ quietMs: 0 });
    let busyWhileOpening: boolean | undefined;
    const deps = {
      gitRequests,
      limits: { maxCommandBytes: 1024 },
      access: {
        permissionsOf: async () => {
          busyWhileOpening = gitRequests.busy;
          return {
            requireRead: (path: string) => {
              throw notFound('repository_not_found', `${path}: not found`);
            },
          };
        },
      },
    } as unknown as GitSessionDeps;
    const result = await runGitSession(deps, {
      service: 'git-upload-pack',
      repoPath: '/hidden',
      principal: { kind: 'anonymous' } as never,
      protocolVersion: 2,
      input: new PassThrough(),
      out: new ChannelSink(new PassThrough()),
    });
    expect(result).toEqual({ outcome: 'repository_not_found', exitCode: 1 });
    expect(busyWhileOpening).toBe(true);
    // Ended: with no quiet time, background work goes on once the timer turn passes.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(gitRequests.busy).toBe(false);
  });
});
