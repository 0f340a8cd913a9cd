import { describe, expect, it } from 'vitest';
import { eventItems, parseEvents } from '../../ui/src/event-stream.js';

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
    const first = parseEvents('event: snapshot\r\ndata: {"items":[]}\r\n\r\nevent: runs\r\ndata: {"it');
    expect(first.events).toEqual([{ event: 'snapshot', data: '{"items":[]}' }]);
    const second = parseEvents(`${first.rest}ems":[]}\n\n`);
    expect(second.events).toEqual([{ event: 'runs', data: '{"items":[]}' }]);
  });

  it('ignores blocks without data and unknown fields, and keeps colons inside values', () => {
    const { events } = parseEvents('event: runs\n\nid: 7\nfoo\ndata:a:b: c\n\n');
    expect(events).toEqual([{ event: 'message', data: 'a:b: c' }]);
  });
});

describe('eventItems', () => {
  it('reads the list wrapper of an event, and nothing from other data', () => {
    expect(eventItems({ event: 'runs', data: '{"items":[{"id":7}]}' })).toEqual([{ id: 7 }]);
    for (const data of ['{"logs":[{"id":7}]}', '[]', 'null', '{"items":{}}', '{"ite'])
      expect(eventItems({ event: 'runs', data }), data).toEqual([]);
  });
});
