import { describe, expect, it } from 'vitest';
import { isMegaError } from '../../platform/errors.js';
import { approvalsOption, checksOption } from './access-review.js';
import { secretOf } from './webhook.js';

async function* chunks(...parts: string[]): AsyncIterable<string> {
  yield* parts;
}

describe('mega webhook add: the secret', () => {
  it('comes from MEGA_WEBHOOK_SECRET, or from stdin without its newline', async () => {
    expect(await secretOf({}, { MEGA_WEBHOOK_SECRET: 'from-env-123' }, chunks())).toBe('from-env-123');
    expect(await secretOf({ secretStdin: true }, {}, chunks('from-', 'stdin\r\n'))).toBe('from-stdin');
    // --secret-stdin wins over the environment: it was asked for.
    expect(await secretOf({ secretStdin: true }, { MEGA_WEBHOOK_SECRET: 'env' }, chunks('pipe\n'))).toBe(
      'pipe',
    );
  });

  it.each([
    [{ secret: 'hunter2hunter2' }, { MEGA_WEBHOOK_SECRET: 'fine-secret' }],
    [{}, {}],
    [{}, { MEGA_WEBHOOK_SECRET: '' }],
  ])('is refused as an argument, and required (%j)', async (options, env) => {
    const error = await secretOf(options, env, chunks()).catch((caught: unknown) => caught);
    expect(isMegaError(error, 'invalid', 'argument_invalid')).toBe(true);
    expect(String((error as Error).message)).not.toContain('hunter2');
  });

  it('refuses an endless stdin', async () => {
    const endless = (async function* () {
      for (;;) yield 'x'.repeat(4096);
    })();
    const error = await secretOf({ secretStdin: true }, {}, endless).catch((caught: unknown) => caught);
    expect(isMegaError(error, 'invalid', 'argument_invalid')).toBe(true);
  });
});

describe('mega access review options', () => {
  it('reads inherit, plain numerals and comma-separated contexts', () => {
    expect(approvalsOption('inherit')).toBeNull();
    expect(approvalsOption('3')).toBe(3);
    expect(approvalsOption('-1')).toBe(-1);
    // Left for the service to refuse with its message, never silently 0 or 16.
    for (const text of ['', ' ', 'abc', '0x10', '1e1', '2 approvals'])
      expect(approvalsOption(text)).toBeNaN();
    expect(checksOption('inherit')).toBeNull();
    expect(checksOption('')).toEqual([]);
    expect(checksOption(' lint, ci/build ,,')).toEqual(['lint', 'ci/build']);
  });
});
