import { coreIO } from '../hooks/io.js';
import { postHook } from '../hooks/hooks.js';
import { runHook } from '../hooks/run-wrapper.js';

await runHook('post', postHook, coreIO);
