// Every fixture case on the scalar fallback build (what runtimes without
// WebAssembly SIMD get); vitest runs this file in its own module graph.
import { defineFixtureSuites } from './fixture-runner';

defineFixtureSuites(false);
