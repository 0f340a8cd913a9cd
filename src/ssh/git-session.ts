import type { AccessPolicy } from '../access/access-policy.js';
import type { UserPrincipal } from '../access/principal.js';
import { requirePushAccess, type PushGuard } from '../access/push-guard.js';
import { FLUSH_PKT } from '../git/pkt-line.js';
import { PktLineReader } from '../git/pkt-line-reader.js';
import { encodeErrorPacket } from '../git/protocol/receive-request.js';
import { BAND_ERROR, encodeSideband } from '../git/protocol/sideband.js';
import { encodeV2Advertisement } from '../git/protocol/v2.js';
import type { MegaConfig } from '../platform/config.js';
import type { ForegroundWork } from '../platform/foreground-work.js';
import { isMegaError, notFound, type MegaError } from '../platform/errors.js';
import { advertiseRefsV0 } from '../repo/advertise.js';
import type { CloneWalkRecorder } from '../repo/clone-walk-recorder.js';
import { receivePack } from '../repo/receive-pack.js';
import { GitResponseWriter } from '../repo/response-writer.js';
import { pushLimits, type RepositoryResolver, type ServedRepository } from '../repo/served-repository.js';
import { outcomeLabel, uploadPackV0Session } from '../repo/upload-pack.js';
import { serveV2Command } from '../repo/upload-pack-v2.js';
import type { ReviewEvents } from '../review/review-events.js';
import type { PackCache } from '../storage/pack-cache.js';
import { classifyFileFault } from '../storage/storage-faults.js';
import type { ChannelSink } from './channel-sink.js';
import type { GitSshService } from './exec-command.js';
import { followPush } from '../review/push-follow-ups.js';

/** The services a git command over SSH uses: the same ones smart HTTP uses. */
export interface GitSessionDeps {
  readonly access: Pick<AccessPolicy, 'permissionsOf'>;
  readonly pushGuard: PushGuard;
  readonly repositories: RepositoryResolver;
  readonly packCache: PackCache;
  readonly walkRecorder: CloneWalkRecorder;
  /** Git requests in flight (each command marks itself): background jobs give way to them. */
  readonly gitRequests: Pick<ForegroundWork, 'begin'>;
  readonly events: ReviewEvents;
  readonly limits: MegaConfig['limits'];
  /** Where `remote:` links point (merge requests opened by a push). */
  readonly baseUrl: () => string;
}

export interface GitSessionRequest {
  readonly service: GitSshService;
  readonly repoPath: string;
  readonly principal: UserPrincipal;
  /** From the client's `GIT_PROTOCOL` environment request (protocol-v2.txt "SSH and file transport"). */
  readonly protocolVersion: 0 | 1 | 2;
  /** The channel's stdin. */
  readonly input: AsyncIterable<Uint8Array>;
  /** Bytes of stdin received and not yet read (bytes after a pushed pack's trailer are refused). */
  readonly unreadInput?: () => number;
  readonly out: ChannelSink;
}

/** The outcome label (for metrics and logs) and the exit status the channel reports. */
export interface GitSessionResult {
  readonly outcome: string;
  readonly exitCode: number;
}

/**
 * Runs git-upload-pack or git-receive-pack for one SSH channel, in-process, over the services
 * smart HTTP uses (`src/web/git/routes.ts`), with the same checks in the same order: read access
 * before resolving (a hidden path reads `<path>: not found`, like a missing one), `write` and the
 * push guard for pushes. Unlike HTTP the conversation is stateful: the advertisement, then the
 * client's requests on the same stream. Refusals and failures reach git in its own framing: an
 * `ERR` packet (git prints `fatal: remote error: …`), or band 3 once the output is multiplexed.
 */
export async function runGitSession(
  deps: GitSessionDeps,
  request: GitSessionRequest,
): Promise<GitSessionResult> {
  const end = deps.gitRequests.begin({ fetch: request.service === 'git-upload-pack' });
  try {
    return await serveGitSession(deps, request);
  } finally {
    end();
  }
}

async function serveGitSession(deps: GitSessionDeps, request: GitSessionRequest): Promise<GitSessionResult> {
  const { out } = request;
  const reader = new PktLineReader(request.input, { maxPacketBytes: deps.limits.maxCommandBytes });
  const read = () => reader.read();
  try {
    const repository = await open(deps, request);
    if (request.service === 'git-upload-pack') {
      // The same as smart HTTP's: cached packs, and a clone waits for its walk being recorded.
      const options = { packCache: deps.packCache, walkRecorder: deps.walkRecorder };
      if (request.protocolVersion === 2) {
        await out.write(encodeV2Advertisement());
        let last = 'advertised';
        for (;;) {
          // Each v2 command's response starts unmultiplexed (ls-refs): an error before its
          // packfile section is an ERR packet again.
          out.sideband = false;
          const outcome = await serveV2Command(repository, read, out, options);
          if (outcome === 'empty') return { outcome: last, exitCode: 0 };
          last = outcome;
        }
      }
      await out.write(
        await advertiseRefsV0(repository, 'git-upload-pack', { version1: request.protocolVersion === 1 }),
      );
      const result = await uploadPackV0Session(
        repository,
        read,
        (fetch) => new GitResponseWriter(out, fetch.sideband, fetch.noProgress),
        options,
      );
      return { outcome: outcomeLabel(result), exitCode: 0 };
    }
    await out.write(
      await advertiseRefsV0(repository, 'git-receive-pack', { version1: request.protocolVersion === 1 }),
    );
    return await push(deps, request, repository, reader);
  } catch (error) {
    await tell(out, describe(error));
    return { outcome: isMegaError(error) ? error.code : 'error', exitCode: 1 };
  }
}

async function open(deps: GitSessionDeps, request: GitSessionRequest): Promise<ServedRepository> {
  const permissions = await deps.access.permissionsOf(request.principal);
  const path = request.repoPath;
  try {
    permissions.requireRead(path);
    if (request.service === 'git-upload-pack')
      return await deps.repositories.resolve(path, 'read', permissions);
    const repository = await deps.repositories.resolve(path, 'write', permissions);
    requirePushAccess(permissions, repository);
    return deps.pushGuard.guard(repository, permissions);
  } catch (error) {
    // The one answer for missing and hidden paths, as over HTTP.
    if (isMegaError(error, 'not_found'))
      throw notFound('repository_not_found', `${path}: not found`, { path });
    throw error;
  }
}

async function push(
  deps: GitSessionDeps,
  request: GitSessionRequest,
  repository: ServedRepository,
  reader: PktLineReader,
): Promise<GitSessionResult> {
  const { principal, out } = request;
  const outcome = await receivePack({
    repository,
    read: () => reader.read(),
    rest: () => reader.rest(),
    // C git closes its side after the pack, but other clients (dulwich) keep it open until they
    // have read the report: the pack ends at its trailer, not with the channel's input.
    packEndsAt: 'trailer',
    ...(request.unreadInput ? { unreadBytes: request.unreadInput } : {}),
    principal,
    baseUrl: deps.baseUrl(),
    limits: pushLimits(deps.limits),
    out,
  });
  followPush(deps, repository, principal.username, outcome);
  return { outcome: outcome.unpackError ? 'unpack_error' : 'pushed', exitCode: 0 };
}

/** What git is told about a failure: our own message, or a generic one for anything unexpected. */
function describe(error: unknown): string {
  const known: MegaError | undefined = isMegaError(error) ? error : classifyFileFault(error);
  if (!known) return 'internal server error';
  return isMegaError(known, 'too_large', 'command_section_too_large')
    ? `${known.message} (limits.maxCommandBytes, MEGA_MAX_COMMAND_BYTES)`
    : known.message;
}

async function tell(out: ChannelSink, message: string): Promise<void> {
  if (out.closed) return;
  const packet = out.sideband
    ? Buffer.concat([encodeSideband(BAND_ERROR, Buffer.from(`${message}\n`)), FLUSH_PKT])
    : encodeErrorPacket(message);
  // A client that left cannot be told; the failure is logged and counted by the caller.
  await out.write(packet).catch(() => undefined);
}
