import { Readable } from 'node:stream';
import type { UserPrincipal } from '../access/principal.js';
import { encodePktLine, FLUSH_PKT } from '../git/pkt-line.js';
import { PktLineReader } from '../git/pkt-line-reader.js';
import { MAX_BATCH_OBJECTS } from '../lfs/batch-request.js';
import type { LockJson } from '../lfs/lfs-lock-service.js';
import type { BatchDecision } from '../lfs/lfs-object-service.js';
import type { LfsServices } from '../lfs/lfs-services.js';
import { isLfsOid, type LfsActor, type LfsRepository } from '../lfs/lfs-types.js';
import type { MegaConfig } from '../platform/config.js';
import { HTTP_STATUS_BY_KIND, invalid, isMegaError, tooLarge, type MegaError } from '../platform/errors.js';
import { classifyFileFault } from '../storage/storage-faults.js';
import type { ChannelSink } from './channel-sink.js';
import { authorizeLfs, type LfsAccessDeps, type LfsGrant } from './lfs-access.js';
import {
  dataPackets,
  dataReplyHead,
  DataBody,
  errorReply,
  protocolError,
  readLines,
  readRequest,
  statusReply,
  type TransferRequest,
} from './lfs-transfer-packets.js';

export interface LfsTransferDeps extends LfsAccessDeps {
  readonly lfs: LfsServices;
  /** `maxRequestBytes` bounds one uploaded object, as for an HTTP upload. */
  readonly limits: Pick<MegaConfig['limits'], 'maxRequestBytes'>;
}

export interface LfsTransferRequest {
  readonly repoPath: string;
  readonly operation: 'upload' | 'download';
  readonly principal: UserPrincipal;
  /** The channel's stdin. */
  readonly input: AsyncIterable<Uint8Array>;
  readonly out: ChannelSink;
  /** Told when each request starts: a session lasts as long as its client keeps asking. */
  readonly onRequest?: () => void;
}

export interface LfsTransferResult {
  readonly outcome: string;
  readonly exitCode: number;
  readonly stderr?: string;
}

/** What the server offers (ssh_adapter.md): protocol version 1, and the lock commands. */
const CAPABILITIES = Buffer.concat([encodePktLine('version=1\n'), encodePktLine('locking\n'), FLUSH_PKT]);

/** An error after which the request stream is out of step: answered (when there is one), then the end. */
class SessionOver extends Error {
  constructor(readonly reason: unknown) {
    super('session over');
  }
}

/**
 * `git-lfs-transfer <path> upload|download` (git-lfs docs/proposals/ssh_adapter.md): Git LFS
 * entirely over the SSH channel — batch, get-object, put-object, verify-object and the lock
 * commands — on the same services, store and checks as the LFS HTTP API. The operation's rights
 * are checked once, before anything is offered (`authorizeLfs`, as `git-lfs-authenticate` does);
 * a refusal goes to stderr with exit status 1, and git-lfs then falls back to
 * `git-lfs-authenticate` and HTTP, which say why. Each reply carries the HTTP status the same
 * request gets over HTTP. Requests are read within bounds; one that breaks the framing gets a 400
 * and ends the session.
 */
export async function runLfsTransfer(
  deps: LfsTransferDeps,
  request: LfsTransferRequest,
): Promise<LfsTransferResult> {
  let grant: LfsGrant;
  try {
    grant = await authorizeLfs(deps, request.repoPath, request.operation, request.principal);
  } catch (error) {
    if (!isMegaError(error)) throw error;
    return { outcome: error.code, exitCode: 1, stderr: `mega: ${error.message}\n` };
  }
  const { out } = request;
  await out.write(CAPABILITIES);
  const session = new TransferSession(deps, request, grant, new PktLineReader(request.input));
  for (;;) {
    let next: TransferRequest | undefined;
    try {
      next = await readRequest(session.reader);
    } catch (error) {
      await session.answer(error);
      return { outcome: 'protocol_error', exitCode: 1 };
    }
    if (next === undefined) return { outcome: 'closed', exitCode: 0 };
    request.onRequest?.();
    if (next.command === 'quit' && !next.hasBody) {
      await out.write(statusReply(200));
      return { outcome: 'done', exitCode: 0 };
    }
    try {
      await session.handle(next);
    } catch (error) {
      const over = error instanceof SessionOver;
      const reason: unknown = over ? error.reason : error;
      // Refusals and a full disk are answered; anything else is a 500, then the caller logs it.
      const known = classifyFileFault(reason);
      if (reason !== undefined) await session.answer(known ?? reason);
      if (reason !== undefined && !known) throw reason;
      if (over) return { outcome: known?.code ?? 'aborted', exitCode: 1 };
    }
  }
}

class TransferSession {
  private negotiated = false;
  /** Whether the current request's data section was read to its flush. */
  private bodyRead = false;
  private readonly repo: LfsRepository;
  private readonly actor: LfsActor;

  constructor(
    private readonly deps: LfsTransferDeps,
    private readonly request: LfsTransferRequest,
    private readonly grant: LfsGrant,
    readonly reader: PktLineReader,
  ) {
    this.repo = { path: grant.repository.path, exists: grant.repository.exists };
    const { principal } = request;
    this.actor = { userId: principal.userId, username: principal.username, isAdmin: principal.isAdmin };
  }

  /** Answers one request. Throws `SessionOver` when what the client sends next is out of step. */
  async handle(request: TransferRequest): Promise<void> {
    const { command } = request;
    // A body nobody reads leaves the stream out of step: only the commands that take one may.
    if (request.hasBody && command !== 'batch' && command !== 'put-object')
      throw new SessionOver(protocolError(`${command} takes no data section`));
    try {
      if (command === 'version') return await this.version(request);
      if (!this.negotiated) throw invalid('lfs_transfer_version', 'negotiate the protocol version first');
      switch (command) {
        case 'batch':
          return await this.batch(request);
        case 'get-object':
          return await this.getObject(request);
        case 'put-object':
          return await this.putObject(request);
        case 'verify-object':
          return await this.verifyObject(request);
        case 'lock':
          return await this.lock(request);
        // git-lfs 3.3 asks `list-locks` when it verifies locks before a push; later ones `list-lock`.
        case 'list-lock':
        case 'list-locks':
          return await this.listLocks(request);
        case 'unlock':
          return await this.unlock(request);
        default:
          throw invalid('lfs_transfer_unknown_command', `unknown command ${command}`);
      }
    } catch (error) {
      // A refused request whose body was not read: its data would be taken for requests.
      if (request.hasBody && !(error instanceof SessionOver) && !this.bodyRead) throw new SessionOver(error);
      throw error;
    } finally {
      this.bodyRead = false;
    }
  }

  /** Writes the error reply for `error`: its own status and message, or a 500. */
  async answer(error: unknown): Promise<void> {
    const out = this.request.out;
    if (out.closed) return;
    const reply = isMegaError(error)
      ? errorReply(HTTP_STATUS_BY_KIND[error.kind], error.message, conflictArgs(error))
      : errorReply(500, 'internal server error');
    await out.write(reply).catch(() => undefined);
  }

  private async version(request: TransferRequest): Promise<void> {
    if (request.operand !== '1')
      throw invalid('lfs_transfer_version', 'only protocol version 1 is supported');
    this.negotiated = true;
    await this.request.out.write(statusReply(200));
  }

  private async batch(request: TransferRequest): Promise<void> {
    if (!request.hasBody) throw new SessionOver(protocolError('batch needs a data section of objects'));
    const lines = await readLines(this.reader, MAX_BATCH_OBJECTS);
    this.bodyRead = true;
    const transfer = request.args.get('transfer');
    if (transfer !== undefined && transfer !== 'ssh')
      throw invalid('lfs_transfer_unsupported', `only the ssh transfer is offered here, not ${transfer}`);
    const objects = lines.map(batchObject);
    const decisions = await this.deps.lfs.objects.decide(
      this.repo,
      this.request.operation,
      objects,
      request.args.get('hash-algo') ?? 'sha256',
    );
    const answer: string[] = [];
    for (const decision of decisions) {
      const line = batchLine(decision);
      if (typeof line !== 'string') throw line;
      answer.push(line);
    }
    await this.request.out.write(statusReply(200, ['hash-algo=sha256'], answer));
  }

  private async getObject(request: TransferRequest): Promise<void> {
    this.requireOperation('download', 'get-object');
    const oid = objectId(request.operand);
    const download = await this.deps.lfs.objects.download(this.repo, oid, undefined);
    const { out } = this.request;
    await out.write(dataReplyHead([`size=${download.size}`]));
    try {
      for await (const piece of download.body ?? []) await out.write(dataPackets(piece as Buffer));
    } catch {
      // Half an object is on its way: the client finds the hash wrong; nothing else can be said.
      throw new SessionOver(undefined);
    }
    await out.write(FLUSH_PKT);
  }

  private async putObject(request: TransferRequest): Promise<void> {
    if (!request.hasBody) throw new SessionOver(protocolError('put-object needs a data section'));
    this.requireOperation('upload', 'put-object');
    const oid = objectId(request.operand);
    const size = sizeArgument(request);
    const limit = this.deps.limits.maxRequestBytes;
    if (size > limit)
      throw tooLarge('lfs_object_too_large', `object exceeds the limit of ${limit} bytes`, { limit });
    const body = new DataBody(this.reader);
    try {
      await this.deps.lfs.objects.upload(this.repo, oid, size, () => Readable.from(body.pieces()));
    } finally {
      this.bodyRead = body.complete;
    }
    await this.request.out.write(statusReply(200));
  }

  private async verifyObject(request: TransferRequest): Promise<void> {
    this.requireOperation('upload', 'verify-object');
    const oid = objectId(request.operand);
    await this.deps.lfs.objects.verify(this.repo, { oid, size: sizeArgument(request) });
    await this.request.out.write(statusReply(200));
  }

  private async lock(request: TransferRequest): Promise<void> {
    this.requireOperation('upload', 'lock');
    const refname = request.args.get('refname');
    const lock = await this.deps.lfs.locks.create(this.repo, this.actor, {
      path: request.args.get('path'),
      ...(refname !== undefined ? { ref: { name: refname } } : {}),
    });
    await this.request.out.write(statusReply(201, lockArgs(lock)));
  }

  private async listLocks(request: TransferRequest): Promise<void> {
    const { args } = request;
    const listed = await this.deps.lfs.locks.listForViewer(this.repo, this.actor, {
      path: args.get('path'),
      id: args.get('id'),
      cursor: args.get('cursor'),
      limit: args.get('limit'),
    });
    const lines: string[] = [];
    for (const lock of listed.locks) {
      lines.push(
        `lock ${lock.id}`,
        `path ${lock.id} ${lock.path}`,
        `locked-at ${lock.id} ${lock.locked_at}`,
        `ownername ${lock.id} ${lock.owner.name}`,
        `owner ${lock.id} ${lock.ours ? 'ours' : 'theirs'}`,
      );
    }
    const cursor = listed.next_cursor === undefined ? [] : [`next-cursor=${listed.next_cursor}`];
    await this.request.out.write(statusReply(200, cursor, lines));
  }

  private async unlock(request: TransferRequest): Promise<void> {
    this.requireOperation('upload', 'unlock');
    const force = request.args.get('force');
    if (force !== undefined && force !== 'true' && force !== 'false')
      throw invalid('lfs_unlock_invalid', 'force must be true or false');
    const mayForce = this.grant.permissions.has(this.repo.path, 'maintain');
    const lock = await this.deps.lfs.locks.unlock(
      this.repo,
      this.actor,
      request.operand ?? '',
      { force: force === 'true' },
      { mayForce },
    );
    await this.request.out.write(statusReply(200, lockArgs(lock)));
  }

  private requireOperation(operation: 'upload' | 'download', command: string): void {
    if (this.request.operation !== operation)
      throw invalid('lfs_transfer_wrong_operation', `${command} needs a session opened for ${operation}`);
  }
}

/** `<oid> <size> [key=value …]` of a batch request; a malformed size is that object's 422. */
function batchObject(line: string): { oid: string; size: unknown } {
  const [oid = '', size = '', ...rest] = line.split(' ');
  if (rest.some((extra) => !/^[A-Za-z0-9_-]+=/.test(extra)))
    throw invalid('lfs_batch_invalid', 'a batch line is <oid> <size> [key=value …]');
  return { oid, size: /^\d{1,16}$/.test(size) ? Number(size) : size };
}

/**
 * One object's line of the batch reply: `<oid> <size> download|upload|noop`. The SSH protocol
 * has no per-object errors: an object a download cannot find is `noop` (nothing to fetch, as
 * other servers of this protocol answer), anything else wrong refuses the whole batch.
 */
function batchLine(decision: BatchDecision): string | MegaError {
  if ('error' in decision) {
    const { code, message } = decision.error;
    if (code === 404 || code === 410) return `${String(decision.oid)} ${String(decision.size)} noop`;
    const text = `${message} (${String(decision.oid).slice(0, 64)})`;
    return invalid('lfs_batch_invalid', text);
  }
  const action = decision.action === 'none' ? 'noop' : decision.action;
  return `${decision.oid} ${decision.size} ${action}`;
}

function objectId(operand: string | undefined): string {
  if (!isLfsOid(operand))
    throw invalid('lfs_oid_invalid', 'invalid object id: expected 64 lowercase hex digits');
  return operand;
}

function sizeArgument(request: TransferRequest): number {
  const size = request.args.get('size');
  if (size === undefined || !/^\d{1,16}$/.test(size) || !Number.isSafeInteger(Number(size)))
    throw invalid('lfs_request_invalid', 'size=<bytes> is required');
  return Number(size);
}

function lockArgs(lock: LockJson): string[] {
  return [
    `id=${lock.id}`,
    `path=${lock.path}`,
    `locked-at=${lock.locked_at}`,
    `ownername=${lock.owner.name}`,
  ];
}

/** A lock conflict's reply names the lock that is in the way, as its HTTP answer does. */
function conflictArgs(error: MegaError): string[] {
  const lock = error.details.lock as LockJson | undefined;
  return error.kind === 'conflict' && lock ? lockArgs(lock) : [];
}
