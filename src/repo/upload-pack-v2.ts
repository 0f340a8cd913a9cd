import { invalid } from '../platform/errors.js';
import {
  encodeLsRefs,
  encodeObjectInfo,
  matchesRefPrefixes,
  parseLsRefsArgs,
  parseObjectInfoArgs,
  readV2Command,
  type LsRefsEntry,
} from '../git/protocol/v2.js';
import { resolveHead } from './advertise.js';
import type { ByteSink } from './pack-sender.js';
import { GitResponseWriter } from './response-writer.js';
import type { ServedRepository } from './served-repository.js';
import { outcomeLabel, uploadPackV2Fetch, type ReadPacket, type UploadPackOptions } from './upload-pack.js';

/**
 * One protocol v2 command request over smart HTTP (protocol-v2.txt): `ls-refs`, `fetch` or
 * `object-info`. Returns a short outcome label for metrics.
 */
export async function serveV2Command(
  repository: ServedRepository,
  read: ReadPacket,
  out: ByteSink,
  options: UploadPackOptions = {},
): Promise<string> {
  const command = await readV2Command(read);
  if (!command) return 'empty';
  switch (command.command) {
    case 'ls-refs':
      await out.write(await lsRefs(repository, command.args));
      return 'ls-refs';
    case 'fetch': {
      const noProgress = command.args.includes('no-progress');
      const result = await uploadPackV2Fetch(
        repository,
        command.args,
        new GitResponseWriter(out, 'side-band-64k', noProgress),
        options,
      );
      return outcomeLabel(result);
    }
    case 'object-info': {
      const request = parseObjectInfoArgs(command.args);
      const sizes = new Map<string, number>();
      for (const id of request.ids) {
        const header = await repository.objects.readObjectHeader(id);
        if (header) sizes.set(id, header.size);
      }
      await out.write(encodeObjectInfo(request, sizes));
      return 'object-info';
    }
    default:
      throw invalid('v2_command_unknown', `unknown command '${command.command.slice(0, 64)}'`);
  }
}

async function lsRefs(repository: ServedRepository, args: readonly string[]): Promise<Buffer> {
  const request = parseLsRefsArgs(args);
  const snapshot = await repository.listRefs();
  const entries: LsRefsEntry[] = [];
  const head = resolveHead(snapshot);
  if (matchesRefPrefixes('HEAD', request.refPrefixes)) {
    if (head !== undefined) {
      entries.push({
        name: 'HEAD',
        id: head,
        ...(snapshot.headTarget ? { symrefTarget: snapshot.headTarget } : {}),
      });
    } else if (request.unborn && snapshot.headTarget) {
      entries.push({ name: 'HEAD', symrefTarget: snapshot.headTarget });
    }
  }
  for (const ref of snapshot.refs) {
    if (!matchesRefPrefixes(ref.name, request.refPrefixes)) continue;
    entries.push({
      name: ref.name,
      id: ref.target,
      ...(ref.peeled ? { peeled: ref.peeled } : {}),
    });
  }
  return encodeLsRefs(entries, request);
}
