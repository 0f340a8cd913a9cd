import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import type { RouteContext } from '../deps.js';
import { registerErrorHandler } from '../error-handler.js';
import { uiRoutes } from './ui-routes.js';

let temp: { path: string; remove: () => Promise<void> };

async function serverFor(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  registerErrorHandler(app);
  await uiRoutes({ distDir })(app, {} as RouteContext);
  return app;
}

beforeAll(async () => {
  temp = await makeTempDir();
  await mkdir(join(temp.path, 'dist/assets'), { recursive: true });
  await writeFile(join(temp.path, 'dist/index.html'), '<!doctype html><div id="root"></div>');
  await writeFile(join(temp.path, 'dist/assets/app-1234.js'), 'console.log(1)');
  await writeFile(join(temp.path, 'secret.txt'), 'outside the dist dir');
});

afterAll(async () => temp.remove());

describe('UI assets', () => {
  it('redirects / to the app and serves index.html for client-side routes', async () => {
    const app = await serverFor(join(temp.path, 'dist'));
    const root = await app.inject({ url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/ui/');
    for (const url of [
      '/ui/',
      '/ui/dir/projects/foo',
      '/ui/repo/projects/foo/-/blob/main/a.ts',
      '/ui/sync?status=failed',
      '/ui/tokens',
      '/ui/ssh-keys',
      '/ui/groups',
    ]) {
      const page = await app.inject({ url });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.body).toContain('id="root"');
    }
  });

  it('serves hashed assets with a long cache lifetime and 404s missing ones', async () => {
    const app = await serverFor(join(temp.path, 'dist'));
    const asset = await app.inject({ url: '/ui/assets/app-1234.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
    const missing = await app.inject({ url: '/ui/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('asset_not_found');
  });

  it('never serves files outside the dist directory', async () => {
    const app = await serverFor(join(temp.path, 'dist'));
    for (const url of [
      '/ui/assets/../../secret.txt',
      '/ui/assets/%2e%2e/%2e%2e/secret.txt',
      '/ui/assets/..%2f..%2fsecret.txt',
      '/ui/assets/%00',
    ]) {
      const response = await app.inject({ url });
      expect(response.body).not.toContain('outside the dist dir');
    }
  });

  it('says how to build the UI when it is missing', async () => {
    const app = await serverFor(join(temp.path, 'missing'));
    const response = await app.inject({ url: '/ui/' });
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('ui_not_built');
  });
});
