import { coreIO } from '../hooks/io.js';
import { preHook } from '../hooks/hooks.js';
import { runHook } from '../hooks/run-wrapper.js';

await runHook('pre', preHook, coreIO);
