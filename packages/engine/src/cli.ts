#!/usr/bin/env node
// The `ringmatch` command's entry: catches stop signals first, then loads the rest (see signals.ts).
import { catchStopSignals } from './signals.js';

catchStopSignals();
await import('./cli-main.js');
