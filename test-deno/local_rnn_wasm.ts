// What `npm:rnn-wasm` means in these tests (test-deno/deno.json maps it here):
// the repo's built ESM bundle with its declarations, as a user gets it from npm.
// @ts-types="../dist/index.d.ts"
export * from '../dist/index.js';
