import { createServer, type AddressInfo } from 'node:net';
import { Counter } from 'prom-client';
import ssh2, { type Connection, type PublicKeyAuthContext } from 'ssh2';
import type { Registry } from '../platform/metrics.js';
import { deliverIdentWithFirstPacket } from './ident-hold.js';
import { ConnectionLimiter, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-limiter.js';
import type { HostKey } from './host-keys.js';
import { identify, type SshIdentity, type SshKeyLookup } from './key-authenticator.js';
import { handleSession, type SessionDeps } from './ssh-session.js';

export interface SshServerDeps extends Omit<SessionDeps, 'onCommand'> {
  readonly metrics: Registry;
  readonly keys: SshKeyLookup;
  readonly hostKeys: readonly HostKey[];
  readonly connectionLimits?: Partial<ConnectionLimits>;
}

export interface SshServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A connection that has not authenticated by then is dropped (sshd's LoginGraceTime, shorter). */
const AUTH_TIMEOUT_MS = 30_000;
/** Rejected key attempts per connection before it is dropped (sshd's MaxAuthTries). */
const MAX_AUTH_ATTEMPTS = 6;
const KEEPALIVE_INTERVAL_MS = 30_000;
const KEEPALIVE_COUNT_MAX = 4;
/** Ciphers offered, in order (all fast in Node's own crypto). */
const SSH_CIPHERS: ssh2.CipherAlgorithm[] = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes256-ctr',
];
/** Sessions (channels) one connection may have open at once. */
const MAX_SESSIONS_PER_CONNECTION = 10;

/**
 * The built-in SSH server (`mega serve --ssh-port`, docs/ssh.md), written with `ssh2`. Public
 * keys only: a key is looked up by fingerprint and its signature checked before anything runs;
 * unknown keys, removed keys and keys of deleted users are refused at authentication. Port
 * forwarding (local, remote, Unix sockets) is refused (`ssh2` answers "administratively
 * prohibited" to channel types nobody listens for; forwarding requests get a failure). Per-address
 * connection limits (`connection-limiter.ts`) apply before the handshake.
 */
export async function startSshServer(deps: SshServerDeps, host: string, port: number): Promise<SshServer> {
  const limiter = new ConnectionLimiter({ ...DEFAULT_CONNECTION_LIMITS, ...deps.connectionLimits });
  const connections = new Set<Connection>();
  const commands = new Counter({
    name: 'mega_ssh_commands_total',
    help: 'Commands run over SSH by command and outcome',
    labelNames: ['command', 'outcome'] as const,
    registers: [deps.metrics],
  });
  const refusedConnections = new Counter({
    name: 'mega_ssh_connections_refused_total',
    help: 'SSH connections refused before or at authentication, by reason',
    labelNames: ['reason'] as const,
    registers: [deps.metrics],
  });
  const sessionDeps: SessionDeps = {
    ...deps,
    onCommand: (command, outcome) => commands.inc({ command, outcome }),
  };
  const server = new ssh2.Server(
    {
      hostKeys: deps.hostKeys.map((key) => key.privateKey),
      ident: 'Mega',
      // AES in GCM or CTR mode only: Node's crypto does them natively, where ssh2's
      // chacha20-poly1305 (OpenSSH's first choice) needs a native addon that installs without
      // build scripts leave out, and then runs in JavaScript at a fraction of the speed.
      algorithms: { cipher: SSH_CIPHERS },
      // A client that vanished without closing (a dropped network) is noticed within ~2 minutes.
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    },
    (client, info) => {
      const address = info.ip;
      // Counted in when the TCP connection was accepted (below); a client ssh2 hands over
      // without that record did not come through the limiter.
      const state = accepted.get(`${address}:${info.port}`);
      if (!state) return client.end();
      connections.add(client);
      let identity: SshIdentity | undefined;
      let attempts = 0;
      // A client first asks whether a key would do, then signs with it: one lookup for both.
      let lastLookup: { blob: Buffer; found: Promise<SshIdentity | undefined> } | undefined;
      const lookup = (blob: Buffer) => {
        if (lastLookup?.blob.equals(blob)) return lastLookup.found;
        const found = identify(deps.keys, blob);
        const entry = { blob, found };
        lastLookup = entry;
        // A failed lookup (storage) is tried again on the next attempt.
        found.catch(() => {
          if (lastLookup === entry) lastLookup = undefined;
        });
        return found;
      };
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
        authenticate(lookup, ctx).then(
          (found) => {
            if (!found) {
              attempts += 1;
              state.failed = true;
              if (attempts >= MAX_AUTH_ATTEMPTS) client.end();
              else ctx.reject(['publickey']);
              return;
            }
            // A signature-less request only asks whether the key would do (RFC 4252 §7).
            if (ctx.signature) identity = found;
            ctx.accept();
          },
          (error: unknown) => {
            deps.logger.warn({ err: error, address }, 'ssh authentication failed');
            ctx.reject(['publickey']);
          },
        );
      });
      client.on('ready', () => {
        if (!identity) return client.end();
        state.authenticated = true;
        state.failed = false;
        limiter.authenticated(address);
        const who = identity;
        void deps.keys
          .touch(who.key)
          .catch((error: unknown) => deps.logger.warn({ err: error }, 'recording key use failed'));
        let sessions = 0;
        client.on('session', (accept, reject) => {
          if (sessions >= MAX_SESSIONS_PER_CONNECTION) return reject();
          sessions += 1;
          const session = accept();
          session.once('close', () => (sessions -= 1));
          handleSession(session, who, address, sessionDeps);
        });
        client.on('request', (_accept, reject, name) => {
          deps.logger.info({ address, request: name }, 'ssh request refused');
          reject?.();
        });
      });
      client.on('error', (error: Error) =>
        deps.logger.debug({ err: error, address }, 'ssh connection error'),
      );
      client.once('close', () => {
        connections.delete(client);
        if (!identity && attempts > 0) {
          refusedConnections.inc({ reason: 'authentication failed' });
          deps.logger.warn({ address, attempts }, 'ssh authentication failed');
        }
      });
    },
  );
  /**
   * TCP connections pass the limiter before ssh2 sees a byte, so a client that connects and then
   * says nothing (no SSH banner) counts, and is dropped when the authentication time is up.
   */
  const accepted = new Map<string, ConnectionState>();
  const tcp = createServer((socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const admission = limiter.admit(address);
    if (!admission.admitted) {
      refusedConnections.inc({ reason: admission.reason });
      deps.logger.warn({ address, reason: admission.reason }, 'ssh connection refused');
      socket.destroy();
      return;
    }
    const key = `${address}:${socket.remotePort}`;
    const state: ConnectionState = { authenticated: false, failed: false };
    accepted.set(key, state);
    const timer = setTimeout(() => {
      if (!state.authenticated) socket.destroy();
    }, AUTH_TIMEOUT_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      accepted.delete(key);
      limiter.closed(address, state.authenticated, state.failed);
    });
    // SSH sends small packets back to back (EXT_INFO then SERVICE_ACCEPT, EOF then CLOSE): with
    // Nagle's algorithm the second waits for the client's delayed ACK, 40 ms each time.
    socket.setNoDelay(true);
    deliverIdentWithFirstPacket(socket);
    server.injectSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  return {
    port: (tcp.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of connections) client.end();
        tcp.close(() => resolve());
      }),
  };
}

/** What the limiter needs to know of a connection when it closes. */
interface ConnectionState {
  authenticated: boolean;
  /** A key was refused and none accepted (so far). */
  failed: boolean;
}

/** The identity of a presented key whose signature (when present) verifies; else undefined. */
async function authenticate(
  lookup: (blob: Buffer) => Promise<SshIdentity | undefined>,
  ctx: PublicKeyAuthContext,
): Promise<SshIdentity | undefined> {
  const found = await lookup(ctx.key.data);
  if (!found || !ctx.signature) return found;
  const parsed = ssh2.utils.parseKey(ctx.key.data);
  if (parsed instanceof Error || Array.isArray(parsed)) return undefined;
  return ctx.blob && parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true ? found : undefined;
}
