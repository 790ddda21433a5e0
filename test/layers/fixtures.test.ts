// Every fixture case on the default (SIMD when supported) build.
import { defineFixtureSuites } from './fixture-runner';

defineFixtureSuites(undefined);
