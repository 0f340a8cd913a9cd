import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../ui/src/event-stream.js';

/** The web UI's reader of server-sent events (the sync page's live runs). */
describe('parseEvents', () => {
  it('reads named events, joins data lines and skips comments', () => {
    const { events, rest } = parseEvents(
      'retry: 3000\n\n: keep-alive\n\nevent: runs\ndata: {"a":1}\n\ndata: one\ndata: two\n\n',
    );
    expect(events).toEqual([
      { event: 'runs', data: '{"a":1}' },
      { event: 'message', data: 'one\ntwo' },
    ]);
    expect(rest).toBe('');
  });

  it('keeps an unfinished event for the next chunk, whatever the line endings', () => {
    const first = parseEvents('event: snapshot\r\ndata: {"logs":[]}\r\n\r\nevent: runs\r\ndata: {"lo');
    expect(first.events).toEqual([{ event: 'snapshot', data: '{"logs":[]}' }]);
    const second = parseEvents(`${first.rest}gs":[]}\n\n`);
    expect(second.events).toEqual([{ event: 'runs', data: '{"logs":[]}' }]);
  });

  it('ignores blocks without data and unknown fields, and keeps colons inside values', () => {
    const { events } = parseEvents('event: runs\n\nid: 7\nfoo\ndata:a:b: c\n\n');
    expect(events).toEqual([{ event: 'message', data: 'a:b: c' }]);
  });
});
