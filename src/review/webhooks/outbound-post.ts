import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { AllowedHosts } from './allowed-hosts.js';

export interface OutboundPost {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  /** Bytes of the answer's body kept; the rest is not read. */
  readonly maxResponseBytes: number;
  readonly allowedHosts: AllowedHosts;
}

/** Refused by the allowed-hosts rule (the message names the address, never the URL's secrets). */
export class ForbiddenDestination extends Error {
  constructor(readonly address: string) {
    super(`the address ${address} is not allowed for webhooks (MEGA_WEBHOOK_ALLOWED_HOSTS)`);
    this.name = 'ForbiddenDestination';
  }
}

/**
 * POSTs a webhook body, checking every address the connection would use against the allowed
 * hosts after DNS resolution (so a name resolving to an internal address is refused, and a
 * second lookup cannot swap in another one). Redirects are answers, never followed. The whole
 * attempt, connection to last byte kept, is bounded by `timeoutMs`.
 */
export function postWebhook(post: OutboundPost): Promise<{ status: number; body: string }> {
  const url = new URL(post.url);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const byName = post.allowedHosts.allowsName(hostname);
  const literal = isIP(hostname) !== 0;
  if (!byName && literal && !post.allowedHosts.allowsAddress(hostname)) {
    return Promise.reject(new ForbiddenDestination(hostname));
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
        signal: AbortSignal.timeout(post.timeoutMs),
        ...(byName ? {} : { lookup: guardedLookup(post.allowedHosts) }),
      },
      (response) => {
        readPrefix(response, post.maxResponseBytes).then(
          (body) => resolve({ status: response.statusCode ?? 0, body }),
          reject,
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(post.body);
  });
}

/** DNS lookup whose every answer must be allowed (one forbidden address refuses the name). */
function guardedLookup(allowed: AllowedHosts): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const forbidden = addresses.find((entry) => !allowed.allowsAddress(entry.address));
      if (forbidden) return callback(new ForbiddenDestination(forbidden.address), '', 0);
      if (options.all) return callback(null, addresses as unknown as string, 0);
      const first = addresses[0];
      if (!first) return callback(new Error(`no address for ${hostname}`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** The first `max` bytes of the answer as text; the connection is dropped after them. */
async function readPrefix(response: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    const piece = chunk as Buffer;
    chunks.push(piece);
    size += piece.length;
    if (size >= max) break;
  }
  response.destroy();
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
