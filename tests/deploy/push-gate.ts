import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Holds every push (`POST …/git-receive-pack`) until `parties` of them have arrived, then lets
 * them all through at once: each client has read the refs before any push lands, so their
 * commands race for real on the server. After `timeoutMs` a waiting push goes on alone
 * (`released` then stays false), so a client that never pushes cannot hang the test.
 */
export interface PushBarrier {
  arrive(): Promise<void>;
  /** Whether the pushes were let through together. */
  readonly released: boolean;
}

export function pushBarrier(parties: number, timeoutMs: number): PushBarrier {
  let waiting: Array<() => void> = [];
  let released = false;
  return {
    get released() {
      return released;
    },
    arrive: () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length >= parties) {
          released = true;
          for (const go of waiting) go();
          waiting = [];
          return;
        }
        setTimeout(resolve, timeoutMs).unref();
      }),
  };
}

export interface PushGate {
  /** Base URL clients use instead of the server's. */
  readonly url: string;
  close(): Promise<void>;
}

/** An HTTP proxy in front of `target` (a `mega serve` URL) that makes pushes wait at `barrier`. */
export async function startPushGate(target: string, barrier: PushBarrier): Promise<PushGate> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const relay = (request: IncomingMessage, response: ServerResponse) => {
    const outgoing = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    request.pipe(outgoing);
  };
  const server = createServer((request, response) => {
    const isPush = request.method === 'POST' && (request.url ?? '').endsWith('/git-receive-pack');
    if (!isPush) return relay(request, response);
    // The body stays unread (in the socket's buffers) while the push waits.
    request.pause();
    void barrier.arrive().then(() => relay(request, response));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
