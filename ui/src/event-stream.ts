/**
 * The `text/event-stream` format (HTML's server-sent events) read from a `fetch` body: events are
 * blocks separated by a blank line, `event:` names one, `data:` lines are joined by newlines,
 * lines starting with `:` are comments (keep-alives).
 */
/** One server-sent event: its name and its data lines joined. */
export interface StreamEvent {
  readonly event: string;
  readonly data: string;
}

/** Splits a `text/event-stream` buffer into complete events and the unfinished rest. */
export function parseEvents(buffer: string): { events: StreamEvent[]; rest: string } {
  const events: StreamEvent[] = [];
  const blocks = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

/**
 * The items an event's data carries as `{"items": [...]}`, the wrapper of every list of the API
 * (the sync stream's rows are those of its log list). Other data is read as carrying none.
 */
export function eventItems<T>(event: StreamEvent): T[] {
  try {
    const data = JSON.parse(event.data) as { items?: unknown } | null;
    return Array.isArray(data?.items) ? (data.items as T[]) : [];
  } catch {
    return [];
  }
}
