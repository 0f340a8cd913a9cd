import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deliverIdentWithFirstPacket } from './ident-hold.js';

/** A socket stand-in recording what its listeners get. */
function socket() {
  const emitter = new EventEmitter();
  const seen: string[] = [];
  emitter.on('data', (chunk: Buffer) => seen.push(chunk.toString('latin1')));
  emitter.on('end', () => seen.push('<end>'));
  deliverIdentWithFirstPacket(emitter as unknown as Socket);
  return { emitter, seen };
}

const IDENT = 'SSH-2.0-OpenSSH_9.2\r\n';

describe('deliverIdentWithFirstPacket', () => {
  afterEach(() => vi.useRealTimers());

  it('holds the identification line until the next bytes arrive, then passes everything on', () => {
    const { emitter, seen } = socket();
    emitter.emit('data', Buffer.from('SSH-2.0-Op'));
    emitter.emit('data', Buffer.from('enSSH_9.2\r\n'));
    expect(seen).toEqual([]);
    emitter.emit('data', Buffer.from('\0\0\x06\x14'));
    emitter.emit('data', Buffer.from('rest'));
    expect(seen).toEqual([`${IDENT}\0\0\x06\x14`, 'rest']);
  });

  it('passes an identification line and a packet that arrive together at once', () => {
    const { emitter, seen } = socket();
    emitter.emit('data', Buffer.from(`${IDENT}KEX`));
    expect(seen).toEqual([`${IDENT}KEX`]);
  });

  it('serves a client that waits for the server after a short hold', () => {
    vi.useFakeTimers();
    const { emitter, seen } = socket();
    emitter.emit('data', Buffer.from(IDENT));
    expect(seen).toEqual([]);
    vi.runAllTimers();
    expect(seen).toEqual([IDENT]);
  });

  it('releases what it holds before the end, and never holds more than a few KiB', () => {
    const ended = socket();
    ended.emitter.emit('data', Buffer.from(IDENT));
    ended.emitter.emit('end');
    expect(ended.seen).toEqual([IDENT, '<end>']);
    const flood = socket();
    flood.emitter.emit('data', Buffer.alloc(9000, 'x'));
    expect(flood.seen).toHaveLength(1);
  });
});
