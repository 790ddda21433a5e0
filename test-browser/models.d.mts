// Types for models.mjs (plain JavaScript so the browser can load it unchanged).
import type { RnnWasm } from './harness';

export interface CaseOutput {
  shape: number[];
  data: Float32Array;
}
export declare function randFloats(n: number, seed: number, scale?: number): Float32Array;
export declare function randIds(n: number, seed: number, max: number): Int32Array;
export declare const CASE_NAMES: readonly string[];
export declare function runModelSet(rnn: RnnWasm): Record<string, CaseOutput[]>;
export declare function f32ToBase64(data: Float32Array): string;
export declare function encodeResults(results: Record<string, CaseOutput[]>): Record<string, { shape: number[]; data: string }[]>;
export declare function runTraining(rnn: RnnWasm): Promise<CaseOutput[]>;
export declare function runThreadsCase(rnn: RnnWasm): CaseOutput[];
