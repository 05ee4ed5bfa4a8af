/** The web page (src/web) at /, and the OpenAPI document and docs page. */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Where the page's files are: src/web next to src/server, or (from dist/server) the package's src/web. */
export function webDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const c of [path.join(here, '../web'), path.join(here, '../../src/web')])
    if (existsSync(path.join(c, 'index.html'))) return c;
  return path.join(here, '../web');
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'facenet-ts',
        version: '0.1.0',
        description: 'Face detection, embeddings, enrollment, verification and open-set identification.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API key from `facenet keys add`' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      tags: [{ name: 'recognize' }, { name: 'people' }, { name: 'service' }, { name: 'clusters' }, { name: 'videos' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export function registerWebPage(app: FastifyInstance): void {
  const web = webDir();
  // browsers ask for /favicon.ico whatever the page links: both get the SVG icon
  const files: Record<string, string> = {
    '/': 'index.html',
    '/app.js': 'app.js',
    '/api.js': 'api.js',
    '/clusters.js': 'clusters.js',
    '/live.js': 'live.js',
    '/challenge.js': 'challenge.js',
    '/live-forms.js': 'live-forms.js',
    '/words.js': 'words.js',
    '/style.css': 'style.css',
    '/favicon.svg': 'favicon.svg',
    '/favicon.ico': 'favicon.svg',
  };
  const types: Record<string, string> = {
    html: 'text/html; charset=utf-8',
    js: 'text/javascript; charset=utf-8',
    css: 'text/css; charset=utf-8',
    svg: 'image/svg+xml',
  };
  for (const [url, file] of Object.entries(files))
    app.get(url, { schema: { hide: true } }, async (_req, reply) => {
      const body = await readFile(path.join(web, file));
      return reply.type(types[file.split('.').pop()!]).header('cache-control', 'no-cache').send(body);
    });
}
