import { SHA1 } from '../git/object-format.js';
import {
  encodeRefAdvertisement,
  type AdvertisedRefLine,
  type GitService,
} from '../git/protocol/advertisement.js';
import { RECEIVE_PACK_CAPABILITIES, UPLOAD_PACK_V0_CAPABILITIES } from '../git/protocol/capabilities.js';
import type { RefSnapshot, ServedRepository } from './served-repository.js';

/** HEAD's id when the symbolic ref resolves to an existing branch. */
export function resolveHead(snapshot: RefSnapshot): string | undefined {
  if (!snapshot.headTarget) return undefined;
  return snapshot.refs.find((ref) => ref.name === snapshot.headTarget)?.target;
}

/**
 * The protocol v0/v1 advertisement of `info/refs` for either service (pack-protocol.txt
 * "Reference Discovery"): HEAD first with `symref=HEAD:<branch>`, peeled tags for upload-pack.
 */
export async function advertiseRefsV0(
  repository: ServedRepository,
  service: GitService,
  options: { version1?: boolean } = {},
): Promise<Buffer> {
  const snapshot = repository.exists ? await repository.listRefs() : { refs: [] };
  const lines: AdvertisedRefLine[] = [];
  const head = resolveHead(snapshot);
  const upload = service === 'git-upload-pack';
  if (upload && head !== undefined) lines.push({ name: 'HEAD', id: head });
  for (const ref of snapshot.refs) {
    lines.push({ name: ref.name, id: ref.target, ...(upload && ref.peeled ? { peeled: ref.peeled } : {}) });
  }
  const capabilities = upload ? [...UPLOAD_PACK_V0_CAPABILITIES] : [...RECEIVE_PACK_CAPABILITIES];
  if (upload && head !== undefined && snapshot.headTarget)
    capabilities.push(`symref=HEAD:${snapshot.headTarget}`);
  return encodeRefAdvertisement(lines, capabilities, SHA1.zeroId, options);
}
