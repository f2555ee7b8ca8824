import { coreIO } from '../hooks/io.js';
import { postHook } from '../hooks/post.js';
import { runHook } from '../hooks/run-wrapper.js';

await runHook('post', postHook, coreIO);
// Work a bounded call left behind (a timed-out request) must not stretch the step past its budget.
process.exit();
