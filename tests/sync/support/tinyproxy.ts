import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from './sshd-server.js';

/** tinyproxy on a loopback port with a generated config; `log()` reads its log file. */
export async function startTinyproxy(
  dir: string,
): Promise<{ url: string; log: () => string; stop: () => Promise<void> }> {
  const port = await freePort();
  const logFile = join(dir, 'tinyproxy.log');
  const config = join(dir, 'tinyproxy.conf');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      'MaxClients 20',
      'Allow 127.0.0.1',
      'LogLevel Info',
      `LogFile "${logFile}"`,
      `PidFile "${join(dir, 'tinyproxy.pid')}"`,
      'ViaProxyName "tinyproxy"',
      '',
    ].join('\n'),
  );
  writeFileSync(logFile, '');
  const child = spawn('tinyproxy', ['-d', '-c', config], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => readFileSync(logFile, 'utf8'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
