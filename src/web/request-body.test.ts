import { connect, type Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardUnreadBody } from './request-body.js';

/**
 * A refused request's unread body (`discardUnreadBody`), seen from a raw TCP client that keeps
 * sending its whole body after the answer, as a client that does not read while it writes does.
 * A reset while it still sends would make its system drop our answer: the answer must arrive
 * whole and the connection end with a FIN, whether the client asked for keep-alive or close.
 */
const REFUSAL = 'refused: over the cap\n';
const CAP = 64 * 1024;

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = Fastify();
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  app.post('/upload', (request, reply) => {
    // Reads up to the cap, then answers without reading the rest, as a refused git request does.
    let seen = 0;
    const body = request.body as NodeJS.ReadableStream;
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen < CAP) return;
      body.off('data', onData);
      body.pause();
      discardUnreadBody(request, reply);
      void reply.header('Content-Type', 'text/plain').send(REFUSAL);
    };
    body.on('data', onData);
    return reply;
  });
  app.get('/next', () => 'next request served\n');
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});

afterAll(async () => {
  await app.close();
});

interface Exchange {
  readonly received: string;
  readonly error?: string;
  readonly ended: boolean;
}

/** Sends `head` and `bodyBytes` of body in full, then optionally `after`, and collects the reply. */
function exchange(head: string, bodyBytes: number, after = ''): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | undefined;
    let ended = false;
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (failure: NodeJS.ErrnoException) => (error = failure.code ?? failure.message));
    socket.on('end', () => {
      ended = true;
      socket.end();
    });
    socket.on('close', () => resolve({ received: Buffer.concat(received).toString('latin1'), error, ended }));
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const send = async () => {
      socket.write(head);
      for (let sent = 0; sent < bodyBytes && !socket.destroyed; sent += chunk.length) {
        if (!socket.write(chunk)) await new Promise((drained) => socket.once('drain', drained));
      }
      if (after && !socket.destroyed) socket.write(after);
    };
    send().catch((failure: Error) => (error = failure.message));
  });
}

const uploadHead = (bytes: number, connection: string) =>
  `POST /upload HTTP/1.1\r\nHost: localhost\r\nConnection: ${connection}\r\n` +
  `Content-Type: application/octet-stream\r\nContent-Length: ${bytes}\r\n\r\n`;

describe('discardUnreadBody', () => {
  it('answers a client that asked for close and still sends its body, then ends without a reset', async () => {
    const bytes = 16 * 1024 * 1024;
    const result = await exchange(uploadHead(bytes, 'close'), bytes);
    expect(result.error).toBeUndefined();
    expect(result.received).toContain(REFUSAL);
    expect(result.ended).toBe(true);
  });

  it('keeps a keep-alive connection usable once the refused body has been read', async () => {
    const bytes = 4 * 1024 * 1024;
    const next = 'GET /next HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
    const result = await exchange(uploadHead(bytes, 'keep-alive'), bytes, next);
    expect(result.error).toBeUndefined();
    expect(result.received).toContain(REFUSAL);
    expect(result.received).toContain('next request served');
  });

  it('closes a connection whose refused body goes on past the bound', async () => {
    // Announces a gigabyte and sends 80 MiB: the server drops 64 MiB of it, then closes.
    const result = await exchange(uploadHead(1024 * 1024 * 1024, 'close'), 80 * 1024 * 1024);
    expect(result.received).toContain(REFUSAL);
    expect(result.error ?? 'closed').toMatch(/ECONNRESET|EPIPE|closed/);
  });
});
