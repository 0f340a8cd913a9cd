import { describe, expect, it } from 'vitest';
import { parseExecCommand } from './exec-command.js';

describe('parseExecCommand', () => {
  it.each([
    ["git-upload-pack '/import/x.git'", { kind: 'git', service: 'git-upload-pack', repoPath: '/import/x' }],
    ["git-upload-pack 'import/x.git'", { kind: 'git', service: 'git-upload-pack', repoPath: '/import/x' }],
    [
      "git-receive-pack '/projects/app'",
      { kind: 'git', service: 'git-receive-pack', repoPath: '/projects/app' },
    ],
    ["git-upload-pack '/projects/'", { kind: 'git', service: 'git-upload-pack', repoPath: '/projects' }],
    ["git-upload-pack '/'", { kind: 'git', service: 'git-upload-pack', repoPath: '/' }],
    ["git-upload-pack '.git'", { kind: 'git', service: 'git-upload-pack', repoPath: '/' }],
    ["git-upload-pack '/a.b/c_d-e.git'", { kind: 'git', service: 'git-upload-pack', repoPath: '/a.b/c_d-e' }],
    [
      "git-lfs-authenticate '/import/x.git' download",
      { kind: 'lfs-authenticate', repoPath: '/import/x', operation: 'download' },
    ],
    [
      "git-lfs-authenticate 'import/x' upload",
      { kind: 'lfs-authenticate', repoPath: '/import/x', operation: 'upload' },
    ],
    [
      "git-lfs-transfer '/import/x.git' upload",
      { kind: 'lfs-transfer', repoPath: '/import/x', operation: 'upload' },
    ],
    // git-lfs sends the path of the remote's URL as it is, unquoted.
    [
      'git-lfs-transfer /import/x.git download',
      { kind: 'lfs-transfer', repoPath: '/import/x', operation: 'download' },
    ],
    [
      'git-lfs-transfer import/x upload',
      { kind: 'lfs-transfer', repoPath: '/import/x', operation: 'upload' },
    ],
  ])('accepts %s', (command, expected) => {
    expect(parseExecCommand(command)).toEqual(expected);
  });

  it.each([
    ['', /no command given/],
    [' git-upload-pack', /no command given/],
    ['bash', /unknown command 'bash'/],
    ['sh -c id', /unknown command 'sh'/],
    ['git upload-pack /x', /unknown command 'git'/],
    ["git-upload-archive '/x'", /unknown command/],
    ['scp -t /tmp', /unknown command/],
    ['git-upload-pack /import/x', /single quotes/],
    ['git-upload-pack "/import/x"', /single quotes/],
    ["git-upload-pack '/import/x", /unterminated/],
    ["git-upload-pack '/import/x'; id", /unexpected characters/],
    ["git-upload-pack '/import/x' '/other'", /exactly one quoted path/],
    ["git-upload-pack '/import/x'&&id", /unexpected characters/],
    ["git-upload-pack '/import/$(id)'", /not allowed/],
    ["git-upload-pack '/import/`id`'", /not allowed/],
    ["git-upload-pack '/import/x;id'", /not allowed/],
    ["git-upload-pack '/import/x|id'", /not allowed/],
    ["git-upload-pack '/import/x y'", /not allowed/],
    ["git-upload-pack '/import/x\\'", /not allowed/],
    ["git-upload-pack '~/x'", /not allowed/],
    ["git-upload-pack '--upload-pack=touch /tmp/pwned'", /may not start with "-"/],
    ["git-upload-pack '-x'", /may not start with "-"/],
    ["git-upload-pack '/import/--help'", /segment may not start with "-"/],
    ["git-upload-pack '/import/../etc/passwd'", /"\." or "\.\." segments/],
    ["git-upload-pack '../x'", /"\." or "\.\." segments/],
    ["git-upload-pack '/import/./x'", /"\." or "\.\." segments/],
    ["git-upload-pack '/import//x'", /empty segment/],
    ["git-upload-pack '/import/x'\n", /control characters/],
    ["git-upload-pack '/import/\u0000x'", /control characters/],
    ["git-upload-pack '/" + 'a'.repeat(2000) + "'", /too long/],
    ['x'.repeat(5000), /too long/],
    ["git-lfs-authenticate '/import/x'", /upload or download/],
    ["git-lfs-authenticate '/import/x' delete", /upload or download/],
    ["git-lfs-authenticate '/import/x' download extra", /upload or download/],
    ['git-lfs-authenticate /import/x;id download', /not allowed/],
    ['git-lfs-authenticate $(id) download', /not allowed/],
    ['git-lfs-authenticate --help download', /may not start with "-"/],
    ['git-lfs-authenticate ../x download', /"\." or "\.\." segments/],
    ['git-lfs-transfer /import/x.git', /upload or download/],
    ['git-lfs-transfer /import/x.git upload download', /upload or download/],
    ['git-lfs-transfer /import/x.git  upload', /upload or download/],
    ['git-lfs-transfer /import/../../etc upload', /"\." or "\.\." segments/],
    ['git-lfs-transfer /import/x;id upload', /not allowed/],
    ["git-lfs-transfer '/import/x' upload;id", /upload or download/],
    ['git-lfs-transfer -oProxyCommand=x upload', /may not start with "-"/],
    ['git-lfs-transfer ~/x upload', /not allowed/],
  ])('refuses %j', (command, message) => {
    expect(() => parseExecCommand(command)).toThrow(message);
    try {
      parseExecCommand(command);
    } catch (error) {
      expect(error).toMatchObject({ kind: 'invalid', code: 'ssh_command_invalid' });
    }
  });
});
