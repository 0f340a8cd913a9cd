import { SHA1 } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import type { ObjectIdLookup } from '../git/object-id-set.js';
import {
  encodeReportStatus,
  expectsPack,
  parseReceiveRequest,
  type RefCommand,
} from '../git/protocol/receive-request.js';
import { isMegaError, type MegaError } from '../platform/errors.js';
import { findMissingObject, findMissingWithReferences } from './connectivity.js';
import type { ByteSink } from './pack-sender.js';
import { PreloadedObjects } from './preloaded-objects.js';
import { GitResponseWriter } from './response-writer.js';
import type {
  IncomingPack,
  ObjectSource,
  PushContext,
  ReceiveLimits,
  RefUpdateRequest,
  ServedRepository,
} from './served-repository.js';
import type { ReadPacket } from './upload-pack.js';
import { appendAll } from '../platform/append-all.js';

export interface PushOutcome {
  readonly commands: number;
  readonly accepted: number;
  readonly unpackError?: string;
  /** The refs this request moved, after they were committed (for `push` events). */
  readonly moved: readonly RefUpdateRequest[];
}

export interface ReceivePackInput {
  readonly repository: ServedRepository;
  readonly read: ReadPacket;
  /** The bytes after the command list: the pack. */
  readonly rest: () => AsyncIterable<Buffer>;
  /** Where the pack ends (`IncomingPack.endsAt`): with the input (HTTP) or at its trailer (SSH). */
  readonly packEndsAt: IncomingPack['endsAt'];
  /** With `packEndsAt: 'trailer'`: bytes received and not read (`IncomingPack.unreadBytes`). */
  readonly unreadBytes?: () => number;
  readonly principal: PushContext['principal'];
  /** Base URL the client used, passed on to push policies (links in `remote:` messages). */
  readonly baseUrl?: string;
  readonly limits: ReceiveLimits;
  readonly out: ByteSink;
}

/**
 * One receive-pack request (pack-protocol.txt "Pushing Data To a Server"): store the pack (all or
 * nothing), check connectivity, ask the push policy about each ref, update refs with
 * compare-and-swap (all or none with `atomic`), and report per ref so git prints every reason.
 */
export async function receivePack(input: ReceivePackInput): Promise<PushOutcome> {
  const { repository } = input;
  // With side-band-64k everything receive-pack says is multiplexed (pack-protocol.txt), a
  // refusal of the rest of the command section included.
  const request = await parseReceiveRequest(input.read, (caps) => {
    if (caps.has('side-band-64k')) input.out.markSideband?.();
  });
  if (request.commands.length === 0) return { commands: 0, accepted: 0, moved: [] };
  const caps = request.capabilities;
  const sideband = caps.has('side-band-64k') ? 'side-band-64k' : 'none';
  const writer = new GitResponseWriter(input.out, sideband, caps.has('quiet'));
  const reportOut = sideband === 'none' ? writer : { write: (chunk: Buffer) => writer.write(chunk) };
  let pushed: ObjectIdLookup = new Set<ObjectId>();
  let externalReferences: readonly ObjectId[] | undefined;
  let unpackError: string | undefined;
  const messages: string[] = [];
  if (!repository.writable) {
    unpackError = repository.readOnlyReason ?? 'this repository is read-only';
  } else if (expectsPack(request.commands, SHA1.zeroId)) {
    try {
      const received = await repository.receivePack(
        {
          chunks: input.rest(),
          endsAt: input.packEndsAt,
          ...(input.unreadBytes ? { unreadBytes: input.unreadBytes } : {}),
        },
        input.limits,
      );
      // The store's own set where it gives one: no second set of every pushed id.
      pushed = Array.isArray(received.ids) ? new Set(received.ids) : (received.ids as ObjectIdLookup);
      externalReferences = received.externalReferences;
    } catch (error) {
      if (!isMegaError(error)) throw error;
      unpackError = describeRefusal(error);
      appendAll(messages, fsckMessages(error));
    }
  }
  const status = new Map<string, string | undefined>();
  let accepted: RefUpdateRequest[] = [];
  if (unpackError === undefined) {
    const connectivity = await Connectivity.check(repository, request.commands, pushed, externalReferences);
    const decisions = await decideAll(repository, request.commands, connectivity, {
      principal: input.principal,
      ...(input.baseUrl ? { baseUrl: input.baseUrl } : {}),
      pushOptions: request.pushOptions,
      objects: repository.objects,
    });
    for (const [name, reason] of decisions.settled) status.set(name, reason);
    appendAll(messages, decisions.messages);
    accepted = decisions.accepted;
    const atomic = caps.has('atomic');
    if (atomic && accepted.length < request.commands.length) {
      for (const update of accepted) status.set(update.refName, 'atomic push failed');
      accepted = [];
    }
    const applied = await repository.updateRefs(accepted, { atomic });
    for (const [name, reason] of applied) status.set(name, reason);
  }
  for (const message of messages) await writer.message(`${message}\n`);
  await reportOut.write(encodeReportStatus(unpackError, request.commands, status));
  if (sideband !== 'none') {
    await writer.flushData();
    await writer.flushPkt();
  }
  const ok = [...status.values()].filter((reason) => reason === undefined).length;
  return {
    commands: request.commands.length,
    accepted: unpackError ? 0 : ok,
    ...(unpackError ? { unpackError } : {}),
    moved: accepted.filter((update) => status.get(update.refName) === undefined),
  };
}

/**
 * What became of the commands before any ref moves: the updates to apply; the refs settled without
 * one (a refusal reason, or undefined for an update a policy handled and reports ok); policy messages.
 */
interface Decisions {
  readonly accepted: RefUpdateRequest[];
  readonly settled: ReadonlyMap<string, string | undefined>;
  readonly messages: readonly string[];
}

async function decideAll(
  repository: ServedRepository,
  commands: readonly RefCommand[],
  connectivity: Connectivity,
  context: PushContext,
): Promise<Decisions> {
  const accepted: RefUpdateRequest[] = [];
  const settled = new Map<string, string | undefined>();
  const messages: string[] = [];
  const seen = new Set<string>();
  for (const command of commands) {
    if (seen.has(command.refName)) {
      settled.set(command.refName, 'duplicate ref update');
      continue;
    }
    seen.add(command.refName);
    const reason = await checkCommand(repository, command, connectivity);
    if (reason !== undefined) {
      settled.set(command.refName, reason);
      continue;
    }
    const decision = await repository.pushPolicy.decide(command, context);
    appendAll(messages, decision.messages ?? []);
    if (decision.action === 'accept') accepted.push(command);
    else settled.set(command.refName, decision.reason);
  }
  return { accepted, settled, messages };
}

/**
 * The connectivity of all new tips, checked once for the whole push; only when something is
 * missing is each tip checked on its own, to say which ref it concerns.
 */
class Connectivity {
  private constructor(
    private readonly repository: ServedRepository,
    private readonly pushed: ObjectIdLookup,
    private readonly allPresent: boolean,
  ) {}

  static async check(
    repository: ServedRepository,
    commands: readonly RefCommand[],
    pushed: ObjectIdLookup,
    externalReferences: readonly ObjectId[] | undefined,
  ): Promise<Connectivity> {
    const tips = commands.map((command) => command.newId).filter((id) => id !== SHA1.zeroId);
    const missing = externalReferences
      ? await findMissingWithReferences(repository.objects, tips, pushed, externalReferences)
      : await findMissingObject(await withPushedTrees(repository.objects, pushed), tips, pushed);
    return new Connectivity(repository, pushed, missing === undefined);
  }

  async missingFor(tip: ObjectId): Promise<ObjectId | undefined> {
    if (this.allPresent) return undefined;
    return findMissingObject(this.repository.objects, [tip], this.pushed);
  }
}

/** Checks one command before the policy sees it; returns a rejection reason or undefined. */
async function checkCommand(
  repository: ServedRepository,
  command: RefCommand,
  connectivity: Connectivity,
): Promise<string | undefined> {
  if (command.newId === SHA1.zeroId) return undefined;
  const missing = await connectivity.missingFor(command.newId);
  if (missing !== undefined) return `missing necessary objects (${missing})`;
  if (command.refName.startsWith('refs/heads/')) {
    const commit = await repository.objects.readCommit(command.newId);
    if (!commit) return 'a branch must point to a commit';
  }
  return undefined;
}

/**
 * What git's receive-pack prints when receive.fsckObjects refuses a pack: each finding as
 * `error: object <id>: <msgId>: <text>`, then `fatal: fsck error in packed object`.
 */
function fsckMessages(error: MegaError): string[] {
  if (!isMegaError(error, 'invalid', 'fsck_failed') || !Array.isArray(error.details.lines)) return [];
  return [
    ...(error.details.lines as string[]).map((line) => `error: ${line}`),
    'fatal: fsck error in packed object',
  ];
}

/** The message plus its numbers (limit, size, count), so the client shows the whole reason. */
function describeRefusal(error: MegaError): string {
  const facts = ['count', 'size', 'limit']
    .filter((key) => typeof error.details[key] === 'number')
    .map((key) => `${key} ${error.details[key] as number}`);
  return facts.length > 0 ? `${error.message} (${facts.join(', ')})` : error.message;
}

/**
 * The pushed trees read in a few bulk queries (delta chains resolved in memory) instead of one
 * query per tree level and delta-chain level while the connectivity check walks them.
 */
async function withPushedTrees(objects: ObjectSource, pushed: ObjectIdLookup): Promise<ObjectSource> {
  if (pushed.size === 0) return objects;
  return new PreloadedObjects(objects, await objects.loadTreeSnapshot([...pushed]));
}
