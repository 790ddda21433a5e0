// The 4x8 GEMM micro-kernel of assembly/gemm.ts (kernel_4x8p) twice: separate
// f32x4.mul + f32x4.add (what the shipped builds use) and f32x4.relaxed_madd
// (relaxed SIMD, fused multiply-add where the CPU has it). run.mjs compiles
// this file and compares the two on L1-resident packed operands (#14 item 3).
// C(4 x 8) += Ap(4 x kc, k-major interleaved) * Bp(kc x 8), repeated over `panels` panels.
@inline function k_muladd(c: usize, ap: usize, bp: usize, kc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let ao = ap, bo = bp;
  const aend = ap + (<usize>kc << 4);
  while (ao < aend) {
    const b0 = v128.load(bo), b1 = v128.load(bo, 16);
    let av = v128.load32_splat(ao);
    c00 = f32x4.add(c00, f32x4.mul(av, b0)); c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(ao, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0)); c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(ao, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0)); c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(ao, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0)); c31 = f32x4.add(c31, f32x4.mul(av, b1));
    ao += 16; bo += 32;
  }
  v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
  v128.store(c, f32x4.add(v128.load(c, 32), c10), 32); v128.store(c, f32x4.add(v128.load(c, 48), c11), 48);
  v128.store(c, f32x4.add(v128.load(c, 64), c20), 64); v128.store(c, f32x4.add(v128.load(c, 80), c21), 80);
  v128.store(c, f32x4.add(v128.load(c, 96), c30), 96); v128.store(c, f32x4.add(v128.load(c, 112), c31), 112);
}
@inline function k_fma(c: usize, ap: usize, bp: usize, kc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let ao = ap, bo = bp;
  const aend = ap + (<usize>kc << 4);
  while (ao < aend) {
    const b0 = v128.load(bo), b1 = v128.load(bo, 16);
    let av = v128.load32_splat(ao);
    c00 = f32x4.relaxed_madd(av, b0, c00); c01 = f32x4.relaxed_madd(av, b1, c01);
    av = v128.load32_splat(ao, 4);
    c10 = f32x4.relaxed_madd(av, b0, c10); c11 = f32x4.relaxed_madd(av, b1, c11);
    av = v128.load32_splat(ao, 8);
    c20 = f32x4.relaxed_madd(av, b0, c20); c21 = f32x4.relaxed_madd(av, b1, c21);
    av = v128.load32_splat(ao, 12);
    c30 = f32x4.relaxed_madd(av, b0, c30); c31 = f32x4.relaxed_madd(av, b1, c31);
    ao += 16; bo += 32;
  }
  v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
  v128.store(c, f32x4.add(v128.load(c, 32), c10), 32); v128.store(c, f32x4.add(v128.load(c, 48), c11), 48);
  v128.store(c, f32x4.add(v128.load(c, 64), c20), 64); v128.store(c, f32x4.add(v128.load(c, 80), c21), 80);
  v128.store(c, f32x4.add(v128.load(c, 96), c30), 96); v128.store(c, f32x4.add(v128.load(c, 112), c31), 112);
}
export function run_muladd(c: usize, ap: usize, bp: usize, kc: i32, panels: i32, reps: i32): void {
  for (let r = 0; r < reps; r++) for (let p = 0; p < panels; p++) k_muladd(c, ap, bp + ((<usize>p * kc) << 5), kc);
}
export function run_fma(c: usize, ap: usize, bp: usize, kc: i32, panels: i32, reps: i32): void {
  for (let r = 0; r < reps; r++) for (let p = 0; p < panels; p++) k_fma(c, ap, bp + ((<usize>p * kc) << 5), kc);
}
