import { coreIO } from '../hooks/io.js';
import { mainHook } from '../hooks/main.js';
import { runHook } from '../hooks/run-wrapper.js';

await runHook('main', mainHook, coreIO);
// Work a bounded call left behind (a timed-out request) must not stretch the step past its budget.
process.exit();
