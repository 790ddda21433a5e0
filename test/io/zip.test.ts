// src/io/zip.ts: the central directory (ZIP64 included) and bounded member reading.
import * as fflate from 'fflate';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/io/errors';
import { readZipMember, zipEntries } from '../../src/io/zip';

const text = (n: number) => fflate.strToU8('hello keras '.repeat(n));

/** The same archive with its central directory rewritten in ZIP64 form (sizes and offsets in the 0x0001 extra field). */
function toZip64(zip: Uint8Array): Uint8Array {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = zip.length - 22;
  while (v.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const entries: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const csize = v.getUint32(p + 20, true);
    const size = v.getUint32(p + 24, true);
    const offset = v.getUint32(p + 42, true);
    const head = zip.slice(p, p + 46);
    const hv = new DataView(head.buffer);
    hv.setUint32(20, 0xffffffff, true);
    hv.setUint32(24, 0xffffffff, true);
    hv.setUint32(42, 0xffffffff, true);
    hv.setUint16(30, 4 + 24, true);
    hv.setUint16(32, 0, true);
    const extra = new Uint8Array(28);
    const ev = new DataView(extra.buffer);
    ev.setUint16(0, 0x0001, true);
    ev.setUint16(2, 24, true);
    ev.setBigUint64(4, BigInt(size), true);
    ev.setBigUint64(12, BigInt(csize), true);
    ev.setBigUint64(20, BigInt(offset), true);
    entries.push(new Uint8Array([...head, ...zip.subarray(p + 46, p + 46 + nameLen), ...extra]));
    p += 46 + nameLen + extraLen + commentLen;
  }
  const cdOffset = v.getUint32(eocd + 16, true);
  const cd = new Uint8Array(entries.reduce((a, e) => a + e.length, 0));
  let at = 0;
  for (const e of entries) (cd.set(e, at), (at += e.length));
  const rec = new Uint8Array(56);
  const rv = new DataView(rec.buffer);
  rv.setUint32(0, 0x06064b50, true);
  rv.setBigUint64(4, 44n, true);
  rv.setBigUint64(24, BigInt(count), true);
  rv.setBigUint64(32, BigInt(count), true);
  rv.setBigUint64(40, BigInt(cd.length), true);
  rv.setBigUint64(48, BigInt(cdOffset), true);
  const loc = new Uint8Array(20);
  const lv = new DataView(loc.buffer);
  lv.setUint32(0, 0x07064b50, true);
  lv.setBigUint64(8, BigInt(cdOffset + cd.length), true);
  lv.setUint32(16, 1, true);
  const end = new Uint8Array(22);
  const dv = new DataView(end.buffer);
  dv.setUint32(0, 0x06054b50, true);
  dv.setUint16(8, 0xffff, true);
  dv.setUint16(10, 0xffff, true);
  dv.setUint32(12, 0xffffffff, true);
  dv.setUint32(16, 0xffffffff, true);
  return new Uint8Array([...zip.subarray(0, cdOffset), ...cd, ...rec, ...loc, ...end]);
}

describe('zip reading', () => {
  const members = { 'a.txt': [text(100), { level: 0 }], 'b.txt': [text(5000), { level: 9 }] } as const;
  const zip = fflate.zipSync(members as never);

  it('lists members and reads stored and deflated ones exactly', () => {
    const es = zipEntries(zip, 'z.keras');
    expect(es.map((e) => [e.name, e.method, e.size])).toEqual([['a.txt', 0, 1200], ['b.txt', 8, 60000]]);
    expect(readZipMember(fflate, zip, es[0], 'z.keras')).toEqual(text(100));
    expect(readZipMember(fflate, zip, es[1], 'z.keras')).toEqual(text(5000));
  });

  it('reads the ZIP64 form of the same archive', () => {
    const z64 = toZip64(zip);
    const es = zipEntries(z64, 'z64.keras');
    expect(es.map((e) => [e.name, e.size, e.compressedSize > 0])).toEqual([['a.txt', 1200, true], ['b.txt', 60000, true]]);
    expect(readZipMember(fflate, z64, es[1], 'z64.keras')).toEqual(text(5000));
  });

  it('reports a member that inflates to more, or less, than it declares', () => {
    const es = zipEntries(zip, 'z.keras');
    const more = { ...es[1], size: 1000 };
    expect(() => readZipMember(fflate, zip, more, 'z.keras')).toThrow("z.keras: member 'b.txt' declares 1000 bytes uncompressed but inflates to more: stopped at byte 1001");
    const less = { ...es[1], size: 70000 };
    expect(() => readZipMember(fflate, zip, less, 'z.keras')).toThrow("member 'b.txt' inflates to 60000 bytes, not the 70000 it declares");
    expect(() => readZipMember(fflate, zip, { ...es[0], size: 5 }, 'z.keras')).toThrow('is stored uncompressed in 1200 bytes but declares 5');
  });

  it('refuses archives it cannot read with a ModelLoadError naming the file', () => {
    expect(() => zipEntries(zip.subarray(0, zip.length - 30), 'cut.keras')).toThrow(ModelLoadError);
    expect(() => zipEntries(new Uint8Array(100), 'zero.keras')).toThrow('zero.keras: not a readable .keras zip archive (no end of central directory record');
    const bad = zip.slice();
    const v = new DataView(bad.buffer);
    let eocd = bad.length - 22;
    while (v.getUint32(eocd, true) !== 0x06054b50) eocd--;
    v.setUint16(eocd + 10, 60000, true);
    expect(() => zipEntries(bad, 'count.keras')).toThrow('declares 60000 members');
  });
});
