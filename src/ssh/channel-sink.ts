import type { Writable } from 'node:stream';
import { unavailable } from '../platform/errors.js';
import type { ByteSink } from '../repo/pack-sender.js';

/**
 * An SSH channel's stdout as the git services' byte sink: every write waits for the channel's
 * window (backpressure), so a slow client holds a pack back instead of the server buffering it.
 */
export class ChannelSink implements ByteSink {
  bytes = 0;
  /** True once the output is side-band multiplexed (errors then go on band 3). */
  sideband = false;
  private gone = false;

  constructor(private readonly channel: Writable) {
    channel.once('close', () => {
      this.gone = true;
    });
  }

  markSideband(): void {
    this.sideband = true;
  }

  get closed(): boolean {
    return this.gone || this.channel.destroyed || this.channel.writableEnded;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.closed) throw unavailable('client_gone', 'the client closed the connection');
    this.bytes += chunk.length;
    if (this.channel.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        this.channel.off('drain', done);
        this.channel.off('close', lost);
        resolve();
      };
      const lost = () => {
        this.channel.off('drain', done);
        reject(unavailable('client_gone', 'the client closed the connection'));
      };
      this.channel.once('drain', done);
      this.channel.once('close', lost);
    });
  }
}
