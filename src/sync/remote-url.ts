import { invalid } from '../platform/errors.js';

/**
 * Remote URLs a sync repository may use. Credentials never live in the URL (they are stored
 * encrypted and passed per process), and transports that run commands (`ext::`, `fd::`) are refused;
 * the runner also limits git itself with `protocol.*.allow`.
 */
export interface RemoteUrl {
  readonly transport: 'http' | 'ssh' | 'git' | 'file';
  readonly host: string;
  readonly port: number | null;
}

export const ALLOWED_NETWORK_PROTOCOLS = ['http', 'https', 'ssh', 'git'] as const;
const MAX_URL_LENGTH = 2048;
const SCP_LIKE = /^(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(?!\/\/)(.+)$/;

export function parseRemoteUrl(url: string): RemoteUrl {
  if (url.length === 0 || url.length > MAX_URL_LENGTH || /[\0\r\n\s]/.test(url) || url.startsWith('-')) {
    throw invalid('remote_url_invalid', 'remote url is empty, too long, or contains whitespace');
  }
  // `<transport>::<address>` selects a remote helper (git-remote-ext runs commands): never.
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url))
    throw invalid('remote_url_protocol', 'remote helper urls are not allowed');
  const scp = SCP_LIKE.exec(url);
  if (scp && !url.includes('://')) {
    return { transport: 'ssh', host: (scp[2] ?? '').replace(/^\[|\]$/g, ''), port: null };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('remote_url_invalid', 'remote url is not a url');
  }
  if (parsed.password !== '' || (parsed.username !== '' && parsed.protocol !== 'ssh:')) {
    throw invalid(
      'remote_url_has_credentials',
      'credentials do not belong in the url: store a credential instead',
    );
  }
  const port = parsed.port === '' ? null : Number(parsed.port);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  switch (parsed.protocol) {
    case 'https:':
    case 'http:':
      return { transport: 'http', host, port };
    case 'ssh:':
      return { transport: 'ssh', host, port };
    case 'git:':
      return { transport: 'git', host, port };
    case 'file:':
      return { transport: 'file', host: '', port: null };
    default:
      throw invalid('remote_url_protocol', 'unsupported protocol: use https, http, ssh, git or file', {
        protocol: parsed.protocol,
      });
  }
}
