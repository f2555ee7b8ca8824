import { run } from '../hooks/post.js';

await run();
// Work a bounded call left behind (a timed-out request) must not stretch the step past its budget.
process.exit();
