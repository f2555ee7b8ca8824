import { coreIO } from '../hooks/io.js';
import { preHook } from '../hooks/pre.js';
import { runHook } from '../hooks/run-wrapper.js';

await runHook('pre', preHook, coreIO);
// Work a bounded call left behind (a timed-out request) must not stretch the step past its budget.
process.exit();
