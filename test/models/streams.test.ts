// model.streams() on the SIMD build; see streams-runner.ts.
import { defineStreamSuites } from './streams-runner';

defineStreamSuites(true);
