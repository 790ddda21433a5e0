// Reading the members of a zip archive (.keras) with bounded work: the central
// directory is parsed here, and each member is inflated in small steps with a
// running byte count, so a member that declares one size and inflates to far more
// (a decompression bomb, or a lie) is stopped at the first byte past what it
// declares, and reported. fflate's streaming Inflate does the decompression.
// Format: PKWARE APPNOTE.TXT (central directory, local headers, ZIP64 records).
import type * as Fflate from 'fflate';
import { ModelLoadError } from './errors';

/** One member as the central directory describes it. */
export interface ZipEntry {
  /** The name as stored (Windows archives may use backslashes). */
  readonly name: string;
  /** 0 stored, 8 deflate. */
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  /** The uncompressed size the archive declares. */
  readonly size: number;
  /** Offset of the local file header. */
  readonly headerOffset: number;
}

const u16 = (b: Uint8Array, p: number): number => b[p] | (b[p + 1] << 8);
const u32 = (b: Uint8Array, p: number): number => (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
const u64 = (b: Uint8Array, p: number): number => u32(b, p) + u32(b, p + 4) * 2 ** 32;

/** The members listed in the central directory (ZIP64 included); a ModelLoadError when it cannot be read. */
export function zipEntries(bytes: Uint8Array, file: string): ZipEntry[] {
  const bad = (why: string): never => {
    throw new ModelLoadError(file, `not a readable .keras zip archive (${why}).`);
  };
  // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the end.
  let eocd = -1;
  for (let p = bytes.length - 22; p >= 0 && p >= bytes.length - 22 - 0xffff; p--) {
    if (u32(bytes, p) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) bad('no end of central directory record; truncated file?');
  let count = u16(bytes, eocd + 10);
  let cdSize = u32(bytes, eocd + 12);
  let cdOffset = u32(bytes, eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64 end of central directory locator, then record.
    const loc = eocd - 20;
    if (loc < 0 || u32(bytes, loc) !== 0x07064b50) bad('a ZIP64 archive without its ZIP64 locator');
    const rec = u64(bytes, loc + 8);
    if (rec + 56 > bytes.length || u32(bytes, rec) !== 0x06064b50) bad('a corrupt ZIP64 end of central directory record');
    count = u64(bytes, rec + 32);
    cdSize = u64(bytes, rec + 40);
    cdOffset = u64(bytes, rec + 48);
  }
  if (cdOffset + cdSize > bytes.length) bad(`the central directory (${cdSize} bytes at ${cdOffset}) runs past the end of the file; truncated file?`);
  // Each entry takes at least 46 bytes: a count the directory cannot hold is a lie.
  if (count * 46 > cdSize) bad(`the central directory declares ${count} members in ${cdSize} bytes`);
  const out: ZipEntry[] = [];
  let p = cdOffset;
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || u32(bytes, p) !== 0x02014b50) bad(`central directory entry ${i} is corrupt`);
    const flags = u16(bytes, p + 8);
    const method = u16(bytes, p + 10);
    let compressedSize = u32(bytes, p + 20);
    let size = u32(bytes, p + 24);
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    let headerOffset = u32(bytes, p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize) bad(`central directory entry ${i} runs past the directory`);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information (header 0x0001): the 64-bit values of the fields set to 0xFFFFFFFF, in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = u16(bytes, e);
      const len = u16(bytes, e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = u64(bytes, q), (q += 8));
        if (compressedSize === 0xffffffff) (compressedSize = u64(bytes, q), (q += 8));
        if (headerOffset === 0xffffffff) headerOffset = u64(bytes, q);
      }
      e += 4 + len;
    }
    out.push({ name, method, flags, compressedSize, size, headerOffset });
    p = end;
  }
  return out;
}

/** Compressed bytes pushed to the inflater at a time: one step produces at most ~16.5 MiB (deflate expands ~1032x at most). */
const STEP = 16 * 1024;

/**
 * The uncompressed bytes of one member, never more than it declares: inflated in steps
 * with a running count, stopped at the first byte past the declared size (and reported
 * as a lie), and refused when shorter than declared. `what` names the member in errors.
 */
export function readZipMember(fflate: typeof Fflate, bytes: Uint8Array, entry: ZipEntry, file: string): Uint8Array {
  const fail = (why: string): never => {
    throw new ModelLoadError(file, `member '${entry.name}' ${why}.`);
  };
  if (entry.flags & 1) fail('is encrypted');
  const h = entry.headerOffset;
  if (h + 30 > bytes.length || u32(bytes, h) !== 0x04034b50) fail(`has no local header at byte ${h}`);
  const start = h + 30 + u16(bytes, h + 26) + u16(bytes, h + 28);
  if (start + entry.compressedSize > bytes.length) fail(`runs past the end of the archive (${entry.compressedSize} bytes at byte ${start}); truncated file?`);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) fail(`is stored uncompressed in ${entry.compressedSize} bytes but declares ${entry.size}`);
    return data.slice();
  }
  if (entry.method !== 8) fail(`uses compression method ${entry.method}; only stored (0) and deflate (8) members are read`);
  const out = new Uint8Array(entry.size);
  let produced = 0;
  let over = false;
  let done = false;
  const inflater = new fflate.Inflate((chunk: Uint8Array, final: boolean) => {
    if (over) return;
    if (produced + chunk.length > entry.size) {
      over = true;
      return;
    }
    out.set(chunk, produced);
    produced += chunk.length;
    if (final) done = true;
  });
  try {
    for (let at = 0; at < data.length && !over; at += STEP) {
      const end = Math.min(data.length, at + STEP);
      inflater.push(data.subarray(at, end), end === data.length);
    }
    if (data.length === 0) inflater.push(new Uint8Array(0), true);
  } catch (e) {
    fail(`cannot be inflated (${(e as Error).message}): the archive is corrupt`);
  }
  if (over) {
    fail(
      `declares ${entry.size} bytes uncompressed but inflates to more: stopped at byte ${entry.size + 1} ` +
        `(from ${entry.compressedSize} compressed bytes); the archive lies about its size (decompression bomb?)`,
    );
  }
  if (!done || produced !== entry.size) fail(`inflates to ${produced} bytes, not the ${entry.size} it declares: the archive is truncated or corrupt`);
  return out;
}
