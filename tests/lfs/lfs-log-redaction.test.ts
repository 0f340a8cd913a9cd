import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { TRANSFER_TOKEN_HEADER } from '../../src/lfs/transfer-token.js';
import { createLogger } from '../../src/platform/logger.js';

it('redacts the LFS transfer header from log records', async () => {
  let output = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output += chunk.toString('utf8');
      callback();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  const header = TRANSFER_TOKEN_HEADER.toLowerCase();
  logger.info(
    { req: { headers: { [header]: 'secret-one' } }, headers: { [header]: 'secret-two' } },
    'request',
  );
  await new Promise((resolve) => setImmediate(resolve));
  expect(output).toContain('request');
  expect(output).not.toContain('secret-');
});
