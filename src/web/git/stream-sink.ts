import { PassThrough } from 'node:stream';
import { unavailable } from '../../platform/errors.js';
import type { ByteSink } from '../../repo/pack-sender.js';

/** The response body of a git endpoint, written with backpressure, plus how much went out. */
export class ResponseStream implements ByteSink {
  readonly body = new PassThrough({ highWaterMark: 256 * 1024 });
  bytes = 0;
  /** True once the response is side-band multiplexed. */
  sideband = false;

  markSideband(): void {
    this.sideband = true;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.body.destroyed) throw unavailable('client_gone', 'the client closed the connection');
    this.bytes += chunk.length;
    if (this.body.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        this.body.off('drain', done);
        this.body.off('close', gone);
        resolve();
      };
      const gone = () => {
        this.body.off('drain', done);
        reject(unavailable('client_gone', 'the client closed the connection'));
      };
      this.body.once('drain', done);
      this.body.once('close', gone);
    });
  }

  end(): void {
    if (!this.body.destroyed) this.body.end();
  }
}
