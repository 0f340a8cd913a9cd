import { serializeCommit } from '../git/commit.js';
import { checkIdent } from '../git/ident.js';
import { zeroObjectId, type ObjectId } from '../git/object-id.js';
import { isValidRefName } from '../git/ref-name.js';
import { conflict, forbidden, invalid, notFound } from '../platform/errors.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import type {
  PushContext,
  ReceiveLimits,
  RefUpdateRequest,
  ServedRepository,
} from '../repo/served-repository.js';
import {
  applyFileActions,
  checkFileActions,
  type FileAction,
  type FileActionLimits,
} from './file-actions.js';
import { packOfObjects } from './objects-pack.js';
import { PendingObjects } from './pending-objects.js';

/**
 * The commits API's write path (issue 22; seed 004 §4: "over the clone limit, changes go through
 * the API"). A commit is built on the base the caller saw, with their file actions applied, and
 * then goes through exactly what a push of that commit to the same path goes through: the pack
 * is received by the served repository (fsck, limits, storage), its push policy decides (a
 * directory view opens or updates a merge request; the push guard checks protected branches),
 * and accepted updates move the ref with compare-and-swap. Nothing here knows which kind of path
 * it writes to: the served repository does.
 */
export interface CommitRequest {
  /**
   * The branch: under `/import/<repo>` the branch to move, under `/projects` the name the merge
   * request is proposed from (as `git push origin HEAD:<branch>`). Default: the path's HEAD.
   */
  readonly branch?: string;
  /** The commit the edit is based on; it must be the tip of the branch (or of HEAD for a new one). */
  readonly base: ObjectId;
  readonly message: string;
  readonly author: { readonly name: string; readonly email: string };
  readonly actions: readonly FileAction[];
  /** `git push -o` strings (`mr.title=…`, `mr.description=…`), passed to the push policy. */
  readonly pushOptions: readonly string[];
}

export interface CommitContext {
  readonly principal: PushContext['principal'];
  readonly baseUrl?: string;
  readonly receiveLimits: ReceiveLimits;
  readonly actionLimits: FileActionLimits;
  /** Seconds since the epoch (author and committer time). */
  readonly now: number;
}

export type CommitOutcome =
  | {
      readonly kind: 'merge_request';
      readonly commit: ObjectId;
      readonly branch: string;
      readonly mergeRequest: { readonly number: number; readonly url: string };
      readonly messages: readonly string[];
    }
  | {
      readonly kind: 'branch';
      readonly commit: ObjectId;
      readonly branch: string;
      readonly messages: readonly string[];
    };

const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_IDENT_PART = 255;
/** The line a merge-request push policy prints (`remote: merge request !3: http://…/mr/3`). */
// The same line git users read (and tests/monorepo/push-rules.test.ts checks); the number and
// the first URL after it are taken, whatever words a policy adds between them.
const MERGE_REQUEST_LINE = /^merge request !(\d+)\b.*?(https?:\/\/\S+)/;

export async function commitFileActions(
  repository: ServedRepository,
  request: CommitRequest,
  context: CommitContext,
): Promise<CommitOutcome> {
  checkFileActions(request.actions, context.actionLimits);
  const message = commitMessage(request.message);
  const ident = identOf(request.author, context.now);
  if (!repository.exists)
    throw notFound(
      'repository_not_found',
      `${repository.path}: not found (a first push creates a repository)`,
    );
  if (!repository.writable)
    throw forbidden('repository_read_only', repository.readOnlyReason ?? `${repository.path} is read-only`);
  const { refName, current } = await branchTip(repository, request.branch);
  const headOfEdit = current ?? (await branchTip(repository, undefined)).current;
  if (!headOfEdit) throw notFound('repository_empty', `${repository.path} has no commits to edit yet`);
  if (request.base !== headOfEdit)
    throw conflict(
      'stale_base',
      `${repository.path} moved on: the base ${request.base} is not its head ${headOfEdit}; apply your change to the head and retry`,
      { base: request.base, head: headOfEdit, branch: refName },
    );

  const pending = new PendingObjects(repository.objects);
  const reader = new ObjectReader(pending);
  const baseCommit = await reader.commit(request.base);
  const tree =
    (await applyFileActions(reader, pending, baseCommit.tree, request.actions)) ??
    pending.put('tree', Buffer.alloc(0));
  if (tree === baseCommit.tree) throw invalid('commit_empty', 'the actions change nothing');
  const commit = pending.put(
    'commit',
    serializeCommit({
      tree,
      parents: [request.base],
      author: ident,
      committer: ident,
      extraHeaders: [],
      message,
    }),
  );
  await repository.receivePack(
    { chunks: once(packOfObjects(pending.take())), endsAt: 'input' },
    context.receiveLimits,
  );

  const update: RefUpdateRequest = { refName, oldId: current ?? zeroObjectId(), newId: commit };
  const decision = await repository.pushPolicy.decide(update, {
    principal: context.principal,
    pushOptions: request.pushOptions,
    objects: repository.objects,
    ...(context.baseUrl ? { baseUrl: context.baseUrl } : {}),
  });
  const messages = decision.messages ?? [];
  if (decision.action === 'reject' || (decision.action === 'handled' && decision.reason !== undefined))
    throw refused(decision.reason ?? 'refused', messages);
  if (decision.action === 'handled') {
    const mergeRequest = mergeRequestIn(messages);
    if (!mergeRequest) throw refused(messages.join('; ') || 'nothing to propose', messages);
    return { kind: 'merge_request', commit, branch: refName, mergeRequest, messages };
  }
  const results = await repository.updateRefs([update], { atomic: true });
  const reason = results.get(refName);
  if (reason !== undefined) {
    const now = (await branchTip(repository, refName)).current;
    throw conflict('stale_base', `${refName}: ${reason}`, { base: request.base, head: now, branch: refName });
  }
  return { kind: 'branch', commit, branch: refName, messages };
}

/** The branch's name and tip (undefined when it does not exist); default: HEAD's target. */
async function branchTip(
  repository: ServedRepository,
  branch: string | undefined,
): Promise<{ refName: string; current: ObjectId | undefined }> {
  const snapshot = await repository.listRefs();
  const refName = branch ?? snapshot.headTarget ?? 'refs/heads/main';
  if (!refName.startsWith('refs/heads/') || !isValidRefName(refName))
    throw invalid('branch_invalid', `${refName} is not a branch name (refs/heads/…)`, { branch: refName });
  return { refName, current: snapshot.refs.find((ref) => ref.name === refName)?.target };
}

/** The message with git's trailing newline; empty and oversized messages are refused. */
function commitMessage(text: string): string {
  if (text.trim() === '') throw invalid('commit_message_invalid', 'a commit message is required');
  if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES)
    throw invalid('commit_message_invalid', `the commit message is longer than ${MAX_MESSAGE_BYTES} bytes`);
  if (text.includes('\0')) throw invalid('commit_message_invalid', 'the commit message contains NUL');
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** `Name <email> <now> +0000`, refused when git's fsck would refuse it. */
function identOf(author: CommitRequest['author'], now: number): string {
  const { name, email } = author;
  if (
    name.trim() === '' ||
    name.length > MAX_IDENT_PART ||
    email.length > MAX_IDENT_PART ||
    /[<>\n\0]/.test(name + email)
  )
    throw invalid('commit_author_invalid', 'the author needs a name and an email without <, > or newlines');
  const ident = `${name.trim()} <${email.trim()}> ${Math.floor(now)} +0000`;
  if (checkIdent(ident) !== undefined)
    throw invalid('commit_author_invalid', `author ${JSON.stringify(ident)} is malformed`);
  return ident;
}

/** A refusal by the path's push rules, with what git would have printed as `remote:` lines. */
function refused(reason: string, messages: readonly string[]) {
  return forbidden('commit_refused', reason, { reason, messages });
}

function mergeRequestIn(messages: readonly string[]): { number: number; url: string } | undefined {
  for (const line of messages) {
    const match = MERGE_REQUEST_LINE.exec(line.trim());
    if (match) return { number: Number(match[1]), url: match[2] as string };
  }
  return undefined;
}

async function* once(pack: Buffer): AsyncIterable<Buffer> {
  yield pack;
}
