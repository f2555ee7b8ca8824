/**
 * Stage and service inference for jobs that give no stage map: keywords in
 * step and job names, mapped onto the known stages and services (README, "Stages").
 */

export const KNOWN_STAGES = Object.freeze({
  api: ['build', 'push', 'deploy_railway', 'health_check', 'migration', 'smoke_test', 'rollback'],
  web: ['install', 'build', 'deploy_vercel', 'verification'],
  database: ['migration_check', 'migration_apply', 'verification'],
} as const);

/** Error types of the action's taxonomy (README, "Error types"). */
export const ERROR_TYPES = Object.freeze([
  'timeout',
  'health_check_failed',
  'migration_failed',
  'test_failed',
  'rollback_triggered',
  'api_unreachable',
  'database_connection_error',
] as const);

function tokens(name: string): string[] {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const SERVICE_WORDS: readonly [string, readonly string[]][] = [
  [
    'database',
    ['db', 'database', 'databases', 'migrate', 'migrations', 'migration', 'schema', 'postgres', 'alembic'],
  ],
  ['web', ['web', 'frontend', 'front', 'vercel', 'nextjs', 'next', 'site', 'ui']],
  ['api', ['api', 'backend', 'server', 'railway']],
];

/** `api`, `web` or `database` when a name says so, else undefined. */
export function inferServiceFromName(name: string): string | undefined {
  const words = new Set(tokens(name));
  for (const [service, keywords] of SERVICE_WORDS) {
    if (keywords.some((k) => words.has(k))) return service;
  }
  return undefined;
}

/**
 * The stage a step's name suggests, or undefined for steps that are not
 * deployment stages (checkout, setup, the action itself).
 */
export function inferStageFromStep(stepName: string, service: string): string | undefined {
  const name = stepName.toLowerCase();
  // Tooling around a deployment, not a stage of it: setting up builders and CLIs,
  // logins, caches, artifacts, notifications.
  if (/^(set\s*up|setup)\b|buildx|\blogin\b|\bcache\b|artifact|notif|\bslack\b|install .*\bcli\b/.test(name))
    return undefined;
  if (/roll\s*-?\s*back|revert deploy/.test(name)) return 'rollback';
  if (/migrat|alembic|flyway|liquibase/.test(name)) {
    if (service === 'database')
      return /check|validat|pending|status|plan|dry|lint|verify/.test(name)
        ? 'migration_check'
        : 'migration_apply';
    return 'migration';
  }
  if (/smoke/.test(name)) return 'smoke_test';
  if (/health/.test(name)) return 'health_check';
  if (/verif|schema check|validate schema/.test(name)) return 'verification';
  if (/vercel/.test(name)) return 'deploy_vercel';
  if (/railway/.test(name)) return 'deploy_railway';
  if (/\bdeploy/.test(name)) return service === 'web' ? 'deploy_vercel' : 'deploy_railway';
  if (/\bbuild|compile|bundle/.test(name)) return 'build';
  if (/\bpush|publish image|upload image/.test(name)) return 'push';
  if (/\binstall|npm ci|pnpm i\b|yarn install|dependencies/.test(name)) return 'install';
  return undefined;
}

/** The error type a failed stage implies when no step reported one. */
export function errorTypeForStage(stage: string): string {
  switch (stage) {
    case 'health_check':
      return 'health_check_failed';
    case 'migration':
    case 'migration_check':
    case 'migration_apply':
      return 'migration_failed';
    case 'smoke_test':
    case 'verification':
      return 'test_failed';
    case 'rollback':
      return 'rollback_triggered';
    default:
      return 'unknown';
  }
}
