import {
  hugeCountPack,
  hugeHeaderPack,
  pushBody,
  tagBombPack,
  truncatedPack,
  type BombPack,
} from '../../tests/support/hostile-packs.js';
import {
  gzipOf,
  haveFlood,
  lsRefsFlood,
  pushCommandFlood,
  streamedRequest,
  wantFlood,
  type StreamedReply,
} from '../../tests/support/streamed-request.js';

/**
 * What a hostile client sends, one input per row of the `hostile` bench. Each input is sent to a
 * running server and says whether the server refused it or served it.
 *
 * The pushes of the objects git's fsck refuses are in `fsck-inputs.ts`: each needs a ref of its own
 * and reports git's message id, and they all go to one server.
 */
export interface HostileContext {
  /** Base URL of the server. */
  readonly url: string;
  /** A user token (pushes). */
  readonly token: string;
  /** The repository the bomb was pushed to (`/import/…`), with the pushed bomb. */
  readonly repo: string;
  readonly bomb: BombPack;
  /** Bytes of each flood (default 1 GiB). */
  readonly floodBytes: number;
}

export type Verdict = 'refused' | 'served';

export interface HostileInput {
  readonly name: string;
  /** Set-up sent before the measurement starts (e.g. the push of what `send` then reads). */
  prepare?(context: HostileContext): Promise<void>;
  send(context: HostileContext): Promise<Verdict>;
}

const GIB = 1024 * 1024 * 1024;
export const DEFAULT_FLOOD_BYTES = GIB;

function authHeaders(context: HostileContext): Record<string, string> {
  return { Authorization: `Bearer ${context.token}` };
}

/**
 * Refused when the status is an error, or the git answer carries an `ERR` packet, a side-band
 * error (band 3) or an unpack error; REST bodies are not pkt-lines and only their status counts.
 */
function verdictOf(reply: StreamedReply): Verdict {
  if (reply.status >= 400) return 'refused';
  if (!String(reply.headers['content-type'] ?? '').startsWith('application/x-git-')) return 'served';
  const body = reply.body;
  for (let at = 0; at + 4 <= body.length;) {
    const length = Number.parseInt(body.toString('latin1', at, at + 4), 16);
    if (!Number.isInteger(length)) break;
    const payload = body.subarray(at + 4, at + Math.max(length, 4));
    const text = payload.toString('latin1');
    if (text.startsWith('ERR ') || payload[0] === 3 || /^\u0001?unpack (?!ok)/.test(text)) return 'refused';
    at += Math.max(length, 4);
  }
  return 'served';
}

function gitPost(
  context: HostileContext,
  service: 'git-upload-pack' | 'git-receive-pack',
  body: Iterable<Buffer>,
  headers: Record<string, string> = {},
): Promise<StreamedReply> {
  return streamedRequest(`${context.url}${context.repo}/${service}`, {
    headers: {
      'Content-Type': `application/x-${service}-request`,
      ...(service === 'git-receive-pack' ? authHeaders(context) : {}),
      ...headers,
    },
    body,
  });
}

/** A REST read of the bomb's file (or commit); the body is read and dropped. */
function restRead(name: string, path: (context: HostileContext) => string, copies = 1): HostileInput {
  return {
    name,
    async send(context) {
      const replies = await Promise.all(
        Array.from({ length: copies }, () => streamedRequest(`${context.url}${path(context)}`)),
      );
      return replies.every((reply) => verdictOf(reply) === 'served') ? 'served' : 'refused';
    },
  };
}

/** A push of a hand-made pack (to a fresh branch of the bomb's repository). */
export function pushPackInput(name: string, pack: () => Buffer | Promise<Buffer>, id?: string): HostileInput {
  return {
    name,
    async send(context) {
      const body = pushBody('refs/heads/hostile', id ?? context.bomb.commit, await pack());
      return verdictOf(await gitPost(context, 'git-receive-pack', [body]));
    },
  };
}

const query = (context: HostileContext, rest: string) =>
  `/api/v1/repos/${rest}${rest.includes('?') ? '&' : '?'}repo=${encodeURIComponent(context.repo)}`;

export function hostileInputs(): HostileInput[] {
  return [
    restRead('REST blob of the bomb', (c) => query(c, 'blob?ref=main&path=zeros.bin')),
    restRead('REST blob of the bomb x3 concurrent', (c) => query(c, 'blob?ref=main&path=zeros.bin'), 3),
    restRead('REST commit (diff adds the bomb)', (c) => query(c, `commit?id=${c.bomb.commit}`)),
    restRead('REST commit x3 concurrent', (c) => query(c, `commit?id=${c.bomb.commit}`), 3),
    restRead('REST compare (diff adds the bomb)', (c) => query(c, `compare?from=${c.bomb.base}&to=main`)),
    restRead('REST tree (file page listing)', (c) => query(c, 'tree?ref=main&path=')),
    restRead('REST history of the bomb', (c) => query(c, 'commits?ref=main&path=zeros.bin')),
    restRead('REST raw of the bomb (streamed whole)', (c) => query(c, 'raw?ref=main&path=zeros.bin')),
    restRead('REST raw x3 concurrent', (c) => query(c, 'raw?ref=main&path=zeros.bin'), 3),
    {
      name: 'v2 ls-refs + ref-prefix flood',
      send: async (c) =>
        verdictOf(
          await gitPost(c, 'git-upload-pack', lsRefsFlood(c.floodBytes), { 'Git-Protocol': 'version=2' }),
        ),
    },
    {
      name: 'v2 ls-refs flood, gzip bomb body',
      send: async (c) =>
        verdictOf(
          await gitPost(c, 'git-upload-pack', [await gzipOf(lsRefsFlood(c.floodBytes))], {
            'Git-Protocol': 'version=2',
            'Content-Encoding': 'gzip',
          }),
        ),
    },
    {
      name: 'v0 upload-pack want flood',
      send: async (c) =>
        verdictOf(await gitPost(c, 'git-upload-pack', wantFlood(c.bomb.commit, c.floodBytes))),
    },
    {
      name: 'v0 upload-pack have flood',
      send: async (c) =>
        verdictOf(await gitPost(c, 'git-upload-pack', haveFlood(c.bomb.commit, c.floodBytes))),
    },
    {
      name: 'receive-pack command flood',
      send: async (c) =>
        verdictOf(await gitPost(c, 'git-receive-pack', pushCommandFlood(c.bomb.commit, c.floodBytes))),
    },
    tagBombRead(TAG_BOMB_MESSAGE_BYTES),
    pushPackInput('push: pack announcing 2^32-1 objects', hugeCountPack),
    pushPackInput('push: truncated pack', truncatedPack),
    pushPackInput('push: entry header of 2^40 bytes', hugeHeaderPack),
    // Commits, trees and tags are held whole (fsck parses them), so one over limits.maxNonBlobBytes
    // is refused by its pack entry header, before it is inflated.
    {
      name: 'push: tag whose message is the bomb size',
      send: async (c) => pushTag(c, c.bomb.size, 'bigger'),
    },
  ];
}

/**
 * Message size of the tag whose peeling is measured: just under the default limit of a pushed
 * commit, tree or tag (64 MiB, limits.maxNonBlobBytes), the biggest tag a push may carry; before
 * tags were peeled from their first bytes, every ref advertisement inflated it whole.
 */
const TAG_BOMB_MESSAGE_BYTES = 60 * 1024 * 1024;

async function pushTag(context: HostileContext, messageBytes: number, name: string): Promise<Verdict> {
  const tag = await tagBombPack(context.bomb.commit, messageBytes, name);
  const pushed = await streamedRequest(`${context.url}${context.repo}/git-receive-pack`, {
    headers: { 'Content-Type': 'application/x-git-receive-pack-request', ...authHeaders(context) },
    body: [pushBody(`refs/tags/${name}`, tag.tag, tag.pack)],
  });
  return verdictOf(pushed);
}

/** A tag with a `messageBytes` message pushed unmeasured, then three ref advertisements at once. */
function tagBombRead(messageBytes: number): HostileInput {
  const name = 'bomb';
  return {
    name: `info/refs x3 peeling a tag with a ${messageBytes >> 20} MiB message`,
    async prepare(c) {
      if ((await pushTag(c, messageBytes, name)) !== 'served') throw new Error('the tag bomb was refused');
    },
    async send(c) {
      const listed = await Promise.all(
        [0, 1, 2].map(() => streamedRequest(`${c.url}${c.repo}/info/refs?service=git-upload-pack`)),
      );
      return listed.every((reply) => reply.body.includes(`refs/tags/${name}^{}`)) ? 'served' : 'refused';
    },
  };
}
