import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';

/** A loopback TCP proxy that counts the bytes going each way (what a client transfers). */
export interface CountingProxy {
  readonly url: string;
  /** Bytes from server to client and client to server since the last reset. */
  counts(): { down: number; up: number };
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  let down = 0;
  let up = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    client.on('data', (chunk: Buffer) => (up += chunk.length));
    upstream.on('data', (chunk: Buffer) => (down += chunk.length));
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
    counts: () => ({ down, up }),
    reset: () => {
      down = 0;
      up = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
