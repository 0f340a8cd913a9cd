import { readdirSync, readFileSync } from 'node:fs';

/**
 * Samples every process's command line (/proc/<pid>/cmdline) every few milliseconds, recording the
 * ones containing any needle, and how many git processes were seen at all.
 */
export function sampleCommandLines(needles: readonly string[], intervalMs = 5) {
  const hits: string[] = [];
  let gitSeen = 0;
  const tick = () => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        continue; // the process ended between readdir and read
      }
      if (/(^|\/)git(-remote-https?)?\s/.test(cmdline)) gitSeen += 1;
      if (needles.some((needle) => cmdline.includes(needle))) hits.push(cmdline);
    }
  };
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { hits, gitSeen };
    },
  };
}

/** Pids of processes whose command line contains `needle`. */
export function processesMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle))
        pids.push(Number(pid));
    } catch {
      continue;
    }
  }
  return pids;
}
