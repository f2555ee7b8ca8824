import { runLiveProcess } from '../live/main.js';

await runLiveProcess();
// Work a bounded call left behind (a timed-out request) must not keep the reporter alive.
process.exit();
