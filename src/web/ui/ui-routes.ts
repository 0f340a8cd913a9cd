import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound, unavailable } from '../../platform/errors.js';
import type { RouteContext } from '../deps.js';
import { StaticAssets, type StaticFile } from './static-assets.js';

/** URL prefix of the single-page app (the rest of the URL space belongs to repositories). */
export const UI_PREFIX = '/ui';

/** `ui/dist` from both `src/web/ui` (tests via tsx) and `dist/web/ui` (the built server). */
export const DEFAULT_UI_DIST = fileURLToPath(new URL('../../../ui/dist', import.meta.url));

/** Scripts only from this origin; raw repository content is never served from these pages. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * Serves the built web UI under `/ui/`: hashed assets with a long cache lifetime, and
 * `index.html` for every other path below the prefix (client-side routing). `GET /` redirects
 * browsers there (git never requests `/` itself: it asks for `/info/refs`).
 */
export function uiRoutes(options: { distDir?: string } = {}) {
  return async (app: FastifyInstance, _ctx: RouteContext): Promise<void> => {
    const assets = new StaticAssets(options.distDir ?? DEFAULT_UI_DIST);
    const send = (reply: FastifyReply, file: StaticFile, immutable: boolean) =>
      reply
        .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
        .header('X-Content-Type-Options', 'nosniff')
        .header('Referrer-Policy', 'same-origin')
        .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .type(file.contentType)
        .send(file.body);
    const serveIndex = async (reply: FastifyReply) => {
      const index = await assets.get('index.html');
      if (!index) {
        throw unavailable('ui_not_built', 'the web UI is not built: run `npm run build:ui`', {
          dir: assets.root,
        });
      }
      return send(reply, index, false);
    };
    app.get('/', async (_request, reply) => reply.redirect(`${UI_PREFIX}/`));
    app.get(UI_PREFIX, async (_request, reply) => reply.redirect(`${UI_PREFIX}/`));
    app.get(`${UI_PREFIX}/*`, async (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      if (rest.startsWith('assets/')) {
        const file = await assets.get(rest);
        if (!file) throw notFound('asset_not_found', 'no such UI asset', { path: rest.slice(0, 200) });
        return send(reply, file, true);
      }
      return serveIndex(reply);
    });
  };
}
