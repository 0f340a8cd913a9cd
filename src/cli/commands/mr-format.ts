import type { MergeRequestDetail } from '../../review/merge-requests.js';
import type { MergeRequestRecord } from '../../storage/monorepo/merge-request-store.js';

/** What `mega mr` prints: the same for the local data directory and a remote server's JSON. */

export function mergeRequestLine(record: MergeRequestRecord): string {
  const repos = record.changes.map((change) => change.repoPath).join(', ');
  return `!${record.number}\t${record.status}\t${mergeabilityWord(record)}\t${record.author}\t${record.title}\t${repos}`;
}

function mergeabilityWord(record: MergeRequestRecord): string {
  if (record.status !== 'open') return '-';
  return record.mergeability?.state ?? 'unknown';
}

/** A merge request with its description, mergeability, unified diff hunks and history. */
export function formatDetail(detail: MergeRequestDetail): string {
  const out = [mergeRequestLine(detail), detail.url];
  if (detail.description) {
    out.push('');
    for (const line of detail.description.split('\n')) out.push(`    ${line}`);
    out.push('');
  }
  if (detail.targetBranch) out.push(`target: ${detail.targetBranch}`);
  out.push(`mergeability: ${detail.mergeability?.state ?? 'unknown'}`);
  for (const item of detail.mergeability?.conflicts ?? [])
    out.push(`  conflict\t${item.repository}/${item.path}`);
  for (const { repoPath, diff } of detail.diffs) {
    for (const file of diff.files) {
      const path = `${repoPath.replace(/\/$/, '')}/${file.path}`;
      out.push(`diff ${file.status} ${path} +${file.additions} -${file.deletions}`);
      if (file.oldMode !== file.newMode && file.oldMode && file.newMode)
        out.push(`old mode ${file.oldMode}`, `new mode ${file.newMode}`);
      out.push(
        `--- ${file.oldId ? `a${path}` : '/dev/null'}`,
        `+++ ${file.newId ? `b${path}` : '/dev/null'}`,
      );
      if (file.binary) out.push('Binary files differ');
      else if (file.omitted) out.push(`(diff not shown: ${file.omitted})`);
      for (const hunk of file.hunks) {
        out.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
        for (const line of hunk.lines)
          out.push(`${line.kind === 'add' ? '+' : line.kind === 'delete' ? '-' : ' '}${line.text}`);
      }
    }
    if (diff.truncated) out.push(`(${repoPath}: more files changed than shown)`);
  }
  out.push('history:');
  for (const event of detail.events) out.push(`  ${event.at}\t${event.action}\t${event.actor}`);
  return out.join('\n');
}
