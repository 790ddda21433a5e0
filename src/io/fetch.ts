// URL sources for loadModel: `new URL(...)` or an 'http(s)://' string, read
// with the global fetch (Node 18+, browsers, Deno) or a fetch given in the options.
// A URL whose path ends in `.json` is a tfjs model.json; its shards are fetched
// relative to it, with the model.json's query string appended, as tfjs's
// http handler does (tfjs-core/src/io/http.ts: parseUrl, loadWeights).
import { describeValue } from '../config';
import { ModelLoadError } from './errors';

/** The part of the fetch API loadModel uses (the global fetch satisfies it). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface FetchSettings {
  /** A fetch function to use instead of globalThis.fetch (e.g. one with retries or auth). */
  fetch?: FetchLike;
  /** RequestInit given to every request (headers, credentials, signal, ...). */
  fetchOptions?: RequestInit;
  /** Largest response body read from one URL, in bytes (default 2 GiB); a larger one is refused while it streams. */
  maxDownloadBytes?: number;
}

const DEFAULT_MAX_DOWNLOAD = 2 ** 31;

/** True for URL objects and strings that start with http:// or https://. */
export function isUrlSource(source: unknown): source is URL | string {
  if (typeof URL !== 'undefined' && source instanceof URL) return true;
  return typeof source === 'string' && /^https?:\/\//i.test(source);
}

/** Validates the fetch-related options (called with the other loadModel options). */
export function checkFetchOptions(options: FetchSettings): void {
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new Error(`loadModel: option fetch must be a function (url, init) => Promise<Response>, received ${describeValue(options.fetch)}.`);
  }
  const init = options.fetchOptions;
  if (init !== undefined && (init === null || typeof init !== 'object' || Array.isArray(init))) {
    throw new Error(`loadModel: option fetchOptions must be a RequestInit object, received ${describeValue(init)}.`);
  }
}

/** True when the URL's path (not its query) names a .json file. */
export function isJsonUrl(url: string): boolean {
  try {
    return /\.json$/i.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

/** Fetches a URL's body; errors name the URL and the HTTP status. */
export async function fetchBytes(url: string, settings: FetchSettings, label = url): Promise<Uint8Array> {
  const f: FetchLike | undefined = settings.fetch ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
  if (!f) throw new ModelLoadError(label, 'cannot fetch: there is no global fetch in this environment; pass one as option fetch.');
  let res: Response;
  try {
    res = await f(url, settings.fetchOptions);
  } catch (e) {
    throw new ModelLoadError(label, `cannot fetch ${url} (${(e as Error)?.message ?? String(e)}).`, { cause: e });
  }
  if (!res || typeof res !== 'object' || typeof res.arrayBuffer !== 'function') {
    throw new ModelLoadError(label, `fetch of ${url} did not return a Response, received ${describeValue(res)}.`);
  }
  if (!res.ok) {
    throw new ModelLoadError(label, `fetching ${url} failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`);
  }
  const cap = settings.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD;
  const tooBig = (n: number) => new ModelLoadError(label, `the response from ${url} is larger than maxDownloadBytes (${cap} bytes${n > 0 ? `; it declares or sent ${n}` : ''}).`);
  const declared = Number(res.headers?.get?.('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > cap) throw tooBig(declared);
  try {
    // Stream and count, so a server that sends more than it declares (or declares
    // nothing) cannot make us buffer an unbounded body.
    const body = res.body;
    if (!body || typeof body.getReader !== 'function') {
      const whole = new Uint8Array(await res.arrayBuffer());
      if (whole.length > cap) throw tooBig(whole.length);
      return whole;
    }
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > cap) {
        await reader.cancel().catch(() => undefined);
        throw tooBig(total);
      }
      chunks.push(value);
    }
    return concat(chunks);
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(label, `cannot read the body of ${url} (${(e as Error)?.message ?? String(e)}).`, { cause: e });
  }
}

/**
 * The URL of a weight shard named in a model.json fetched from `modelUrl`:
 * resolved against the model.json's folder, with the model.json's query
 * string appended when the shard has none (tfjs http.ts does the same, so
 * signed URLs keep working).
 */
export function shardUrl(modelUrl: string, shard: string): string {
  const base = new URL(modelUrl);
  const u = new URL(shard, base);
  if (u.search === '' && base.search !== '') u.search = base.search;
  return u.href;
}

/**
 * The parts joined into one array (the part itself when there is one). Here,
 * not in tfjs.ts: fetch.ts is in the core bundle, and importing tfjs.ts from it
 * pulled the whole config reader into the core.
 */
export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
