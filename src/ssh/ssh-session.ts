import type { ServerChannel, Session } from 'ssh2';
import { isMegaError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { ChannelSink } from './channel-sink.js';
import { parseExecCommand, type ExecCommand } from './exec-command.js';
import { runGitSession, type GitSessionDeps } from './git-session.js';
import type { SshIdentity } from './key-authenticator.js';
import { lfsAuthenticate, type LfsAuthenticateDeps } from './lfs-authenticate.js';
import { runLfsTransfer, type LfsTransferDeps } from './lfs-transfer.js';
import { limitSendWindow } from './send-window.js';

export interface SessionDeps extends GitSessionDeps, LfsAuthenticateDeps, LfsTransferDeps {
  readonly limits: GitSessionDeps['limits'];
  readonly logger: Logger;
  /** Told each finished command: for the metrics. */
  readonly onCommand: (command: string, outcome: string) => void;
}

/** Longest `GIT_PROTOCOL` value looked at (`version=2` is what git sends). */
const MAX_ENV_VALUE = 256;

/**
 * One SSH session channel (RFC 4254 §6) of an authenticated client. It runs exactly one command
 * from `exec`, parsed strictly (`exec-command.ts`), in-process: no shell and no process is ever
 * started. The only environment variable taken is `GIT_PROTOCOL`; pseudo-terminals, X11, agent
 * forwarding and subsystems (sftp …) are refused, and a shell gets a one-line explanation and
 * exit status 1 (so `ssh -T git@host` tells a user that their key works).
 */
export function handleSession(
  session: Session,
  identity: SshIdentity,
  address: string,
  deps: SessionDeps,
): void {
  let gitProtocol = '';
  // The channel's open confirmation was just sent; a client sends its requests once it has it
  // (they need the channel number it carries), so the first request arrives a round trip later.
  const confirmedAt = performance.now();
  let roundTripMs: number | undefined;
  const firstRequest = () => (roundTripMs ??= performance.now() - confirmedAt);
  const log = deps.logger.child({ address, user: identity.label });
  const refuse = (what: string, reject?: () => void) => {
    log.info({ request: what }, 'ssh request refused');
    reject?.();
  };
  session.on('env', (accept, reject, info) => {
    firstRequest();
    if (info.key === 'GIT_PROTOCOL' && info.val.length <= MAX_ENV_VALUE) {
      gitProtocol = info.val;
      accept?.();
    } else {
      reject?.();
    }
  });
  session.on('pty', (_accept, reject) => refuse('pty', reject));
  session.on('x11', (_accept, reject) => refuse('x11', reject));
  session.on('auth-agent', (_accept, reject) => refuse('agent forwarding', reject));
  session.on('subsystem', (_accept, reject, info) => refuse(`subsystem ${info.name.slice(0, 32)}`, reject));
  session.on('sftp', (_accept, reject) => refuse('subsystem sftp', reject));
  session.on('shell', (accept) => {
    const channel = accept();
    log.info({ request: 'shell' }, 'ssh request refused');
    finish(
      channel,
      1,
      `Hi ${identity.label}! You have authenticated, but Mega serves git only: there is no shell access.\n`,
    );
  });
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    limitSendWindow(channel, firstRequest());
    let command: ExecCommand;
    try {
      command = parseExecCommand(info.command);
    } catch (error) {
      const message = isMegaError(error) ? error.message : 'invalid command';
      log.warn({ reason: message }, 'ssh command refused');
      deps.onCommand('invalid', 'refused');
      finish(channel, 1, `mega: ${message}\n`);
      return;
    }
    // The same bound as an HTTP request's (limits.requestTimeoutMs): a stalled client is dropped.
    // git-lfs-transfer runs many requests in one session: each one starts the bound again.
    const deadline = setTimeout(() => {
      log.warn({ command: info.command.slice(0, 128) }, 'ssh command timed out');
      channel.close();
    }, deps.limits.requestTimeoutMs);
    deadline.unref();
    void runCommand(channel, command, identity, versionOf(gitProtocol), deps, () => deadline.refresh()).then(
      (result) => {
        clearTimeout(deadline);
        deps.onCommand(command.kind === 'git' ? command.service : `git-${command.kind}`, result.outcome);
        log.info(
          {
            command: command.kind === 'git' ? command.service : command.kind,
            path: command.repoPath,
            outcome: result.outcome,
          },
          'ssh command',
        );
        finish(channel, result.exitCode, result.stderr);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        log.warn({ err: error }, 'ssh command failed');
        finish(channel, 1, 'mega: internal server error\n');
      },
    );
  });
}

interface CommandResult {
  readonly outcome: string;
  readonly exitCode: number;
  readonly stderr?: string;
}

async function runCommand(
  channel: ServerChannel,
  command: ExecCommand,
  identity: SshIdentity,
  protocolVersion: 0 | 1 | 2,
  deps: SessionDeps,
  onRequest: () => void,
): Promise<CommandResult> {
  const principal = identity.principal;
  const out = new ChannelSink(channel);
  try {
    return await runService(channel, command, principal, protocolVersion, deps, onRequest, out);
  } finally {
    // Before the exit status and EOF: the last gathered bytes (a report, a pack's end, an LFS
    // answer); a client already gone needs nothing more.
    await out.flush().catch(() => undefined);
  }
}

async function runService(
  channel: ServerChannel,
  command: ExecCommand,
  principal: SshIdentity['principal'],
  protocolVersion: 0 | 1 | 2,
  deps: SessionDeps,
  onRequest: () => void,
  out: ChannelSink,
): Promise<CommandResult> {
  // Reading to the end must not destroy the channel: the client half-closes after a push's pack
  // and still reads the report.
  const input = channel.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
  if (command.kind === 'git') {
    return runGitSession(deps, {
      service: command.service,
      repoPath: command.repoPath,
      principal,
      protocolVersion,
      input,
      unreadInput: () => channel.readableLength,
      out,
    });
  }
  if (command.kind === 'lfs-transfer') {
    return runLfsTransfer(deps, {
      repoPath: command.repoPath,
      operation: command.operation,
      principal,
      input,
      out,
      onRequest,
    });
  }
  try {
    const json = await lfsAuthenticate(deps, {
      repoPath: command.repoPath,
      operation: command.operation,
      principal,
    });
    await out.write(Buffer.from(json));
    return { outcome: 'authenticated', exitCode: 0 };
  } catch (error) {
    if (!isMegaError(error)) throw error;
    return { outcome: error.code, exitCode: 1, stderr: `mega: ${error.message}\n` };
  }
}

/** `version=2` in `GIT_PROTOCOL` (colon-separated `key=value` pairs, protocol-v2.txt). */
function versionOf(gitProtocol: string): 0 | 1 | 2 {
  const versions = gitProtocol
    .split(':')
    .filter((part) => part.startsWith('version='))
    .map((part) => part.slice('version='.length));
  if (versions.includes('2')) return 2;
  return versions.includes('1') ? 1 : 0;
}

/** Ends a channel the way a finished command does: stderr text, exit status, EOF, close. */
function finish(channel: ServerChannel, exitCode: number, stderr?: string): void {
  if (channel.destroyed) return;
  if (stderr) channel.stderr.write(stderr);
  channel.exit(exitCode);
  channel.end();
}
