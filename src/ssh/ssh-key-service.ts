import { parseAccessPath } from '../access/paths.js';
import type { SshKeyInfo, SshKeyStore } from '../storage/ssh/ssh-key-store.js';
import { parsePublicKey } from './public-key.js';

/** What the key service keeps its keys in: storage's `SshKeyStore`. */
export type SshKeyRecords = Pick<
  SshKeyStore,
  'add' | 'listForUser' | 'removeUserKey' | 'listDeployKeys' | 'findDeployKey' | 'removeDeployKey'
>;

export interface NewDeployKey {
  readonly path: string;
  readonly write: boolean;
  readonly key: string;
  readonly title?: string;
  /** The user adding it: the key's pushes are recorded as theirs. */
  readonly createdBy: number;
}

/**
 * Adding, listing and removing SSH keys, for `mega user key`, `mega deploy-key` and the REST
 * routes alike: the pasted line is parsed and checked here (`public-key.ts`: Ed25519, ECDSA, RSA
 * of 2048 bits or more), deploy key paths made canonical (`parseAccessPath`), and the title
 * defaults to the key's comment. Callers check who may do it first (the CLI is the operator).
 */
export class SshKeyService {
  constructor(private readonly records: SshKeyRecords) {}

  addUserKey(userId: number, text: string, title?: string): Promise<SshKeyInfo> {
    const key = parsePublicKey(text);
    return this.records.add({
      fingerprint: key.fingerprint,
      type: key.type,
      publicKey: key.blob.toString('base64'),
      bits: key.bits,
      title: titleOf(title, key.comment, key.type),
      owner: { kind: 'user', userId },
      createdBy: userId,
    });
  }

  listUserKeys(userId: number): Promise<SshKeyInfo[]> {
    return this.records.listForUser(userId);
  }

  removeUserKey(userId: number, id: number): Promise<void> {
    return this.records.removeUserKey(userId, id);
  }

  addDeployKey(input: NewDeployKey): Promise<SshKeyInfo> {
    const path = parseAccessPath(input.path);
    const key = parsePublicKey(input.key);
    return this.records.add({
      fingerprint: key.fingerprint,
      type: key.type,
      publicKey: key.blob.toString('base64'),
      bits: key.bits,
      title: titleOf(input.title, key.comment, key.type),
      owner: { kind: 'deploy', path, write: input.write },
      createdBy: input.createdBy,
    });
  }

  /** Deploy keys of one path (made canonical), or of every path. */
  listDeployKeys(path?: string): Promise<SshKeyInfo[]> {
    return this.records.listDeployKeys(path === undefined ? undefined : parseAccessPath(path));
  }

  findDeployKey(id: number): Promise<SshKeyInfo | undefined> {
    return this.records.findDeployKey(id);
  }

  removeDeployKey(id: number): Promise<void> {
    return this.records.removeDeployKey(id);
  }
}

function titleOf(title: string | undefined, comment: string, type: string): string {
  const chosen = title?.trim() || comment.trim() || type;
  return chosen.slice(0, 255);
}
