#!/usr/bin/env node
// `npm run demo:web` (after `npm run build`): serves the repository with
// scripts/serve.mjs and prints the model viewer's URL. `--port N` (default
// 8080; 0 picks a free port).
import { parseArgs } from 'node:util';
import { startServer } from '../scripts/serve.mjs';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`demo:web: --port must be an integer in [0, 65535], received '${values.port}'.`);
  process.exit(2);
}
try {
  const server = await startServer({ port });
  console.log(`rnn-wasm model viewer: ${server.url}/web/  (Ctrl+C to stop)`);
} catch (e) {
  console.error(`demo:web: cannot listen on 127.0.0.1:${port} (${e.code ?? e.message}); try --port 0 or another port.`);
  process.exit(1);
}
