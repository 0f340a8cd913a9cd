import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A loopback TCP proxy that counts the bytes going each way (what a client transfers). */
export interface CountingProxy {
  readonly url: string;
  /** Bytes from server to client and client to server since the last reset. */
  counts(): { down: number; up: number };
  reset(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy to `targetUrl`; `watch` sees each connection's two sockets (the client's and
 * the one to the target) before their bytes flow, to count or time them.
 */
export async function startLoopbackProxy(
  targetUrl: string,
  watch: (client: Socket, upstream: Socket) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(targetUrl);
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    watch(client, upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  let down = 0;
  let up = 0;
  const proxy = await startLoopbackProxy(targetUrl, (client, upstream) => {
    client.on('data', (chunk: Buffer) => (up += chunk.length));
    upstream.on('data', (chunk: Buffer) => (down += chunk.length));
  });
  return {
    url: proxy.url,
    counts: () => ({ down, up }),
    reset: () => {
      down = 0;
      up = 0;
    },
    close: proxy.close,
  };
}
