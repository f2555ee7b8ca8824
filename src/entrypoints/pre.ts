import { run } from '../hooks/pre.js';
import { runnerIO } from '../hooks/runner-io.js';

await run(runnerIO);
// Work a bounded call left behind (a timed-out request) must not stretch the step past its budget.
process.exit();
