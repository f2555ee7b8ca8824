import { coreIO } from '../hooks/io.js';
import { mainHook } from '../hooks/hooks.js';
import { runHook } from '../hooks/run-wrapper.js';

await runHook('main', mainHook, coreIO);
