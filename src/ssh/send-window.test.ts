import { describe, expect, it } from 'vitest';
import { limitSendWindow, sendAheadBytes } from './send-window.js';

const channel = (window: number) => ({ outgoing: { window } });

describe('limitSendWindow', () => {
  it('keeps a few hundred KiB ahead on a short round trip', () => {
    const loopback = channel(2 * 1024 * 1024);
    limitSendWindow(loopback, 0.2);
    expect(loopback.outgoing.window).toBe(256 * 1024);
  });

  it('keeps what the round trip needs, up to the window the client granted', () => {
    expect(sendAheadBytes(10)).toBe(Math.ceil(64 * 1024 * 1024 * 0.01));
    const lan = channel(2 * 1024 * 1024);
    limitSendWindow(lan, 10);
    expect(lan.outgoing.window).toBe(sendAheadBytes(10));
    const far = channel(2 * 1024 * 1024);
    limitSendWindow(far, 80);
    expect(far.outgoing.window).toBe(2 * 1024 * 1024);
  });

  it('never widens a smaller window, and ignores a channel without one', () => {
    const small = channel(64 * 1024);
    limitSendWindow(small, 0.2);
    expect(small.outgoing.window).toBe(64 * 1024);
    expect(() => limitSendWindow({ outgoing: undefined }, 1)).not.toThrow();
    expect(() => limitSendWindow({ outgoing: { window: 'x' } }, 1)).not.toThrow();
  });
});
