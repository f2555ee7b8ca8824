/** Reads a JavaScript action's action.yml the way the runner needs it. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';

/** One declared input. */
export interface ActionInput {
  description?: string;
  required?: boolean;
  default?: string;
  deprecationMessage?: string;
}

/** The parts of action.yml the runner uses for a node action. */
export interface ActionManifest {
  dir: string;
  file: string;
  name: string;
  using: string;
  main: string;
  pre?: string;
  post?: string;
  /** `runs.pre-if`; the runner's default is `always()`. */
  preIf: string;
  /** `runs.post-if`; the runner's default is `always()`. */
  postIf: string;
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description?: string }>;
}

/**
 * Loads `<dir>/action.yml` (or action.yaml). Throws for a missing manifest or
 * an action that is not a JavaScript action (`runs.using: nodeNN`).
 */
export async function loadActionManifest(dir: string): Promise<ActionManifest> {
  let file = path.join(dir, 'action.yml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    file = path.join(dir, 'action.yaml');
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new Error(`Can't find 'action.yml' or 'action.yaml' under '${dir}'.`);
    }
  }
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const runs = (doc.runs ?? {}) as Record<string, unknown>;
  const using = String(runs.using ?? '');
  if (!/^node\d+$/.test(using)) {
    throw new Error(`${file}: runs.using is '${using}'; the emulator runs JavaScript actions (nodeNN) only.`);
  }
  if (typeof runs.main !== 'string' || runs.main === '') throw new Error(`${file}: runs.main is required.`);
  const inputs: Record<string, ActionInput> = {};
  for (const [k, v] of Object.entries((doc.inputs ?? {}) as Record<string, Record<string, unknown> | null>)) {
    const def = v ?? {};
    const input: ActionInput = {};
    if (def.description !== undefined) input.description = String(def.description);
    if (def.required !== undefined) input.required = def.required === true || def.required === 'true';
    // YAML may type a default as number/boolean; the runner always hands strings over.
    if (def.default !== undefined && def.default !== null) input.default = String(def.default);
    if (def.deprecationMessage !== undefined) input.deprecationMessage = String(def.deprecationMessage);
    inputs[k] = input;
  }
  const m: ActionManifest = {
    dir,
    file,
    name: String(doc.name ?? path.basename(dir)),
    using,
    main: runs.main,
    preIf: typeof runs['pre-if'] === 'string' ? runs['pre-if'] : 'always()',
    postIf: typeof runs['post-if'] === 'string' ? runs['post-if'] : 'always()',
    inputs,
    outputs: (doc.outputs ?? {}) as Record<string, { description?: string }>,
  };
  if (typeof runs.pre === 'string' && runs.pre !== '') m.pre = runs.pre;
  if (typeof runs.post === 'string' && runs.post !== '') m.post = runs.post;
  return m;
}
