import { describe, expect, it } from 'vitest';
import { isMegaError } from '../platform/errors.js';
import { ruleFor, REFUSALS } from './clone-rules.js';
import { MAX_DIRECTORY_DEPTH, parseDirectoryPath } from './directory-path.js';

describe('directory path classification', () => {
  it.each([
    ['', { kind: 'root', path: '/' }],
    ['/', { kind: 'root', path: '/' }],
    ['.git', { kind: 'root', path: '/' }],
    ['/projects', { kind: 'area', area: 'projects', path: '/projects', rest: [] }],
    ['/projects/', { kind: 'area', area: 'projects', path: '/projects', rest: [] }],
    ['/projects.git', { kind: 'area', area: 'projects', path: '/projects', rest: [] }],
    ['/projects/foo', { kind: 'area', area: 'projects', path: '/projects/foo', rest: ['foo'] }],
    ['/projects/foo.git', { kind: 'area', area: 'projects', path: '/projects/foo', rest: ['foo'] }],
    [
      '/projects/foo/src/lib',
      { kind: 'area', area: 'projects', path: '/projects/foo/src/lib', rest: ['foo', 'src', 'lib'] },
    ],
    ['/import', { kind: 'area', area: 'import', path: '/import', rest: [] }],
    ['/import/bar', { kind: 'area', area: 'import', path: '/import/bar', rest: ['bar'] }],
    ['/import/bar/docs', { kind: 'area', area: 'import', path: '/import/bar/docs', rest: ['bar', 'docs'] }],
  ])('classifies %j', (raw, expected) => {
    expect(parseDirectoryPath(raw)).toEqual(expected);
  });

  it.each(['/elsewhere', '/Projects', '/README.md', '/info'])('answers 404 for %j', (raw) => {
    let error: unknown;
    try {
      parseDirectoryPath(raw);
    } catch (caught) {
      error = caught;
    }
    expect(isMegaError(error, 'not_found')).toBe(true);
  });

  it.each([
    '/projects/../etc',
    '/projects/./foo',
    '/projects//foo',
    '/projects/.git',
    '/projects/foo/.git/config',
    '/projects/x.git/y',
    '/projects/a\u0000b',
    '/projects/a\nb',
    '/projects/a\\b',
    '/projects/a\u007fb',
    'projects/foo',
    `/projects/${'a'.repeat(2000)}`,
    `/projects${'/a'.repeat(MAX_DIRECTORY_DEPTH + 1)}`,
  ])('rejects hostile path %j', (raw) => {
    let error: unknown;
    try {
      parseDirectoryPath(raw);
    } catch (caught) {
      error = caught;
    }
    expect(isMegaError(error, 'invalid')).toBe(true);
  });
});

describe('clone rules (SPEC §6 table)', () => {
  it('serves and refuses as the table says', () => {
    expect(ruleFor('root')).toEqual({
      clone: { allowed: true, mode: 'directory-history' },
      push: { allowed: true, mode: 'readme-only' },
    });
    expect(ruleFor('directory', 'projects').clone).toEqual({ allowed: true, mode: 'expanded-directory' });
    expect(ruleFor('repository', 'projects').clone).toEqual({ allowed: true, mode: 'repository-head' });
    expect(ruleFor('subdirectory', 'projects').clone).toEqual({ allowed: true, mode: 'repository-subtree' });
    expect(ruleFor('directory', 'import').clone).toEqual({
      allowed: false,
      reason: REFUSALS.importDirectory,
    });
    expect(ruleFor('repository', 'import').clone).toEqual({ allowed: true, mode: 'stored' });
    expect(ruleFor('subdirectory', 'import').clone).toEqual({
      allowed: false,
      reason: REFUSALS.importSubdirectory,
    });
  });

  it('routes pushes as the table says', () => {
    expect(ruleFor('repository', 'projects').push).toEqual({ allowed: true, mode: 'merge-request' });
    expect(ruleFor('subdirectory', 'projects').push).toEqual({ allowed: true, mode: 'merge-request' });
    expect(ruleFor('directory', 'projects').push).toEqual({ allowed: true, mode: 'merge-request' });
    expect(ruleFor('absent', 'projects').push).toEqual({ allowed: true, mode: 'create' });
    expect(ruleFor('repository', 'import').push).toEqual({ allowed: true, mode: 'direct' });
    expect(ruleFor('absent', 'import').push).toEqual({ allowed: true, mode: 'create' });
  });
});
