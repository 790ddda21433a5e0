// model.streams() on the scalar build (every case bit for bit); vitest runs this file in its own module graph.
import { defineStreamSuites } from './streams-runner';

defineStreamSuites(false);
