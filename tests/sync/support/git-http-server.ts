import { spawn, execFileSync } from 'node:child_process';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback git server for tests: Node's http(s) server bridging to C git's `git http-backend`
 * over CGI (RFC 3875), optionally requiring HTTP Basic credentials, or only requests that came
 * through a proxy (tinyproxy adds `Via`). Certificates are made by `openssl` at run time.
 */
export interface GitHttpServerOptions {
  readonly projectRoot: string;
  readonly tls?: { readonly dir: string };
  /** user:password pairs accepted; unset = anonymous. */
  readonly basicAuth?: ReadonlyArray<readonly [string, string]>;
  /** Refuse (403) requests without a `Via` header naming this proxy. */
  readonly requireVia?: string;
  /** Accept connections and never answer (a stalled remote). */
  readonly stall?: boolean;
  /** Git LFS objects by sha256 oid, served by a minimal batch API (download only). */
  readonly lfsObjects?: ReadonlyMap<string, Buffer>;
}

export interface GitHttpServer {
  readonly url: string;
  readonly caFile?: string;
  readonly requests: string[];
  close(): Promise<void>;
}

export function makeSelfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    requests.push(`${request.method} ${request.url}`);
    if (options.stall) return;
    if (options.requireVia && !String(request.headers.via ?? '').includes(options.requireVia)) {
      response.writeHead(403).end('direct access refused\n');
      return;
    }
    // Object downloads behave like pre-signed URLs (the batch response grants them).
    const isLfsObject = request.url?.startsWith('/lfs-objects/') === true;
    if (options.basicAuth && !isLfsObject) {
      const header = request.headers.authorization ?? '';
      const decoded = header.startsWith('Basic ')
        ? Buffer.from(header.slice(6), 'base64').toString('utf8')
        : '';
      if (!options.basicAuth.some(([user, password]) => decoded === `${user}:${password}`)) {
        response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end('unauthorized\n');
        return;
      }
    }
    if (options.lfsObjects && handleLfs(request, response, options.lfsObjects, baseUrl())) return;
    bridgeToHttpBackend(request, response, options.projectRoot);
  };
  const baseUrl = () =>
    `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let server: Server;
  let caFile: string | undefined;
  if (options.tls) {
    const { cert, key } = makeSelfSignedCert(options.tls.dir);
    caFile = cert;
    server = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, handler);
  } else {
    server = createHttpServer(handler);
  }
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    caFile,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The LFS batch API (git-lfs docs/api/batch.md), download operation only, plus object GETs. */
function handleLfs(
  request: IncomingMessage,
  response: ServerResponse,
  objects: ReadonlyMap<string, Buffer>,
  base: string,
): boolean {
  const path = (request.url ?? '').split('?')[0] ?? '';
  const object = /^\/lfs-objects\/([0-9a-f]{64})$/.exec(path);
  if (object && request.method === 'GET') {
    const data = objects.get(object[1] as string);
    response.writeHead(data ? 200 : 404).end(data ?? '');
    return true;
  }
  if (!path.endsWith('/info/lfs/objects/batch') || request.method !== 'POST') return false;
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    const batch = JSON.parse(body) as { objects: Array<{ oid: string; size: number }> };
    const result = {
      transfer: 'basic',
      objects: batch.objects.map(({ oid, size }) =>
        objects.has(oid)
          ? { oid, size, authenticated: true, actions: { download: { href: `${base}/lfs-objects/${oid}` } } }
          : { oid, size, error: { code: 404, message: 'not found' } },
      ),
    };
    response.writeHead(200, { 'content-type': 'application/vnd.git-lfs+json' }).end(JSON.stringify(result));
  });
  return true;
}

function bridgeToHttpBackend(request: IncomingMessage, response: ServerResponse, projectRoot: string): void {
  const url = new URL(request.url ?? '/', 'http://x');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      REQUEST_METHOD: request.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: String(request.headers['content-encoding'] ?? ''),
      GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
      REMOTE_USER: 'test',
      REMOTE_ADDR: '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  request.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headerDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headerDone) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headerDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else response.setHeader(name, value);
    }
    response.writeHead(status);
    response.write(head.subarray(end + 4));
  });
  child.stdout.on('end', () => response.end());
  child.on('error', () => response.destroy());
}
