#!/usr/bin/env node
// A small static file server for the browser tests and `npm run demo:web`.
// It serves the repository root (so /dist, /web, /node_modules and /test
// fixtures are reachable), only GET/HEAD, only files inside the root, with
// the MIME types a browser needs for ES modules and WebAssembly.
//
//   node scripts/serve.mjs [--port 8080] [--root .] [--isolated]
//   import { startServer } from './scripts/serve.mjs'; const s = await startServer({ port: 0 }); s.url; await s.close();
import { createServer } from 'node:http';
import { stat, readFile } from 'node:fs/promises';
import { resolve, join, extname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Starts the server. `port: 0` picks a free port. Resolves to
 * `{ url, port, close() }` once it listens on 127.0.0.1. `isolated: true`
 * sends the headers that make pages cross-origin isolated
 * (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy:
 * require-corp), which SharedArrayBuffer, and so init({ threads }), needs.
 */
export function startServer({ root = REPO_ROOT, port = 0, host = '127.0.0.1', isolated = false } = {}) {
  const isolation = isolated
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' }
    : {};
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      let file = resolve(join(base, pathname));
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      let info = await stat(file).catch(() => null);
      if (info?.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file).catch(() => null);
      }
      if (!info?.isFile()) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${pathname}`);
        return;
      }
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': 'no-store',
        ...isolation,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(e));
    }
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolveStart({
        port: actual,
        url: `http://${host}:${actual}`,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '8080' }, root: { type: 'string', default: REPO_ROOT }, isolated: { type: 'boolean', default: false } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port must be an integer in [0, 65535], received '${values.port}'.`);
    process.exit(2);
  }
  const s = await startServer({ root: values.root, port, isolated: values.isolated });
  console.log(`Serving ${resolve(values.root)} at ${s.url}/  (Ctrl+C to stop)`);
}
