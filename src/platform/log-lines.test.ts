import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatRecord, readableLogStream } from './log-lines.js';
import { createLogger } from './logger.js';

describe('readable log lines', () => {
  it('shows time, level, request, status, message, duration and small fields on one line', () => {
    const time = new Date(2026, 11, 4, 9, 5, 7, 42).getTime();
    const line = formatRecord(
      JSON.stringify({
        level: 30,
        time,
        pid: 1,
        hostname: 'h',
        reqId: 'req-1',
        req: { method: 'GET', url: '/projects/foo/info/refs?service=git-upload-pack' },
        res: { statusCode: 200 },
        responseTime: 12.6,
        msg: 'request completed',
      }),
    );
    expect(line).toBe(
      '09:05:07.042 INFO  GET /projects/foo/info/refs?service=git-upload-pack 200 request completed 13ms reqId=req-1',
    );
  });

  it('quotes values with spaces, cuts long ones, and names the error', () => {
    const line = formatRecord(
      JSON.stringify({
        level: 50,
        time: 0,
        msg: 'push failed',
        path: 'a b',
        big: 'x'.repeat(500),
        err: { message: 'disk full' },
      }),
    );
    expect(line).toContain('ERROR push failed path="a b"');
    expect(line).toContain(`big=${'x'.repeat(200)}…`);
    expect(line).toContain('error="disk full"');
    expect(line.length).toBeLessThan(300);
  });

  it('passes through what is not a JSON record', () => {
    expect(formatRecord('plain text')).toBe('plain text');
    expect(formatRecord('42')).toBe('42');
  });

  it('keeps JSON for pipes and prints lines on a terminal, with secrets still redacted', async () => {
    const pipe = new PassThrough();
    let piped = '';
    pipe.on('data', (chunk: Buffer) => (piped += chunk.toString()));
    createLogger({ destination: pipe }).info({ token: 'mega_secret' }, 'hello');
    expect(JSON.parse(piped.trim())).toMatchObject({ msg: 'hello', token: '[redacted]' });

    const tty = Object.assign(new PassThrough(), { isTTY: true });
    let shown = '';
    tty.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    createLogger({ destination: tty }).warn({ token: 'mega_secret', path: '/x' }, 'hello');
    expect(shown).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  hello token=\[redacted\] path=\/x\n$/);
  });

  it('joins records split across writes', () => {
    const out = new PassThrough();
    let shown = '';
    out.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const stream = readableLogStream(out);
    const record = JSON.stringify({ level: 30, time: 0, msg: 'split' });
    stream.write(record.slice(0, 10));
    stream.write(`${record.slice(10)}\n`);
    expect(shown).toContain('INFO  split');
  });
});
