/**
 * Service and stage inference from job and step names, onto the known services
 * (api, web, database) and stages (README, "Inference (no stage map)").
 */
import { describe, expect, test } from '@jest/globals';
import {
  ERROR_TYPES,
  KNOWN_STAGES,
  errorTypeForStage,
  inferServiceFromName,
  inferStageFromStep,
} from '../../src/model/infer.js';

describe('inferServiceFromName', () => {
  test.each<[string, string | undefined]>([
    ['deploy-api', 'api'],
    ['deploy_api', 'api'],
    ['Deploy API', 'api'],
    ['api', 'api'],
    ['backend', 'api'],
    ['deploy-backend', 'api'],
    ['railway', 'api'],
    ['deploy-web', 'web'],
    ['web', 'web'],
    ['frontend', 'web'],
    ['deploy-frontend', 'web'],
    ['vercel', 'web'],
    ['deploy-site', 'web'],
    ['migrate', 'database'],
    ['db', 'database'],
    ['deploy-db', 'database'],
    ['database', 'database'],
    ['run-migrations', 'database'],
    ['postgres', 'database'],
    ['deploy', undefined],
    ['build', undefined],
    ['release', undefined],
    ['', undefined],
    ['rapid', undefined],
    ['webhook-relay', undefined],
    ['dbt', undefined],
  ])('%j → %j', (name, expected) => {
    expect(inferServiceFromName(name)).toBe(expected);
  });
});

describe('inferStageFromStep: the design stages', () => {
  const table: [string, string, string][] = [
    // api: build, push, deploy_railway, health_check, migration, smoke_test, rollback
    ['api', 'Build Docker image', 'build'],
    ['api', 'Build', 'build'],
    ['api', 'Compile TypeScript', 'build'],
    ['api', 'Push image to registry', 'push'],
    ['api', 'Push', 'push'],
    ['api', 'Deploy to Railway', 'deploy_railway'],
    ['api', 'Deploy', 'deploy_railway'],
    ['api', 'railway up', 'deploy_railway'],
    ['api', 'Wait for health check', 'health_check'],
    ['api', 'Healthcheck', 'health_check'],
    ['api', 'Run database migrations', 'migration'],
    ['api', 'Migrate', 'migration'],
    ['api', 'Run smoke tests', 'smoke_test'],
    ['api', 'Smoke test /health', 'smoke_test'],
    ['api', 'Roll back deployment', 'rollback'],
    ['api', 'Rollback', 'rollback'],
    ['api', 'roll-back', 'rollback'],
    // web: install, build, deploy_vercel, verification
    ['web', 'Install dependencies', 'install'],
    ['web', 'npm ci', 'install'],
    ['web', 'yarn install --frozen-lockfile', 'install'],
    ['web', 'Build Next.js app', 'build'],
    ['web', 'Deploy to Vercel', 'deploy_vercel'],
    ['web', 'Deploy', 'deploy_vercel'],
    ['web', 'vercel deploy --prod', 'deploy_vercel'],
    ['web', 'Verify deployment', 'verification'],
    ['web', 'Verification', 'verification'],
    // database: migration_check, migration_apply, verification
    ['database', 'Check pending migrations', 'migration_check'],
    ['database', 'Migration status', 'migration_check'],
    ['database', 'Validate migrations', 'migration_check'],
    ['database', 'Migration dry run', 'migration_check'],
    ['database', 'Apply migrations', 'migration_apply'],
    ['database', 'Run migrations', 'migration_apply'],
    ['database', 'alembic upgrade head', 'migration_apply'],
    ['database', 'Verify schema', 'verification'],
    ['database', 'Schema check', 'verification'],
    ['database', 'Validate schema', 'verification'],
  ];

  test.each(table)('%s: %j → %s', (service, step, stage) => {
    expect(inferStageFromStep(step, service)).toBe(stage);
  });

  test.each(table)('%s: %j → %s is a stage the design lists for that service', (service, _step, stage) => {
    expect(KNOWN_STAGES[service as keyof typeof KNOWN_STAGES] as readonly string[]).toContain(stage);
  });

  test.each<[string, string]>([
    ['api', 'Rollback migration'],
    ['database', 'Roll back migrations'],
    ['web', 'Revert deploy'],
  ])('%s: rollback wins over other keywords in %j', (service, step) => {
    expect(inferStageFromStep(step, service)).toBe('rollback');
  });
});

describe('inferStageFromStep: steps that are not stages', () => {
  test.each([
    'Set up job',
    'Complete job',
    'Run actions/checkout@v4',
    'Checkout',
    'Checkout code',
    'Run actions/setup-node@v4',
    'Setup Node.js',
    'Set up Node',
    'Login to GitHub Container Registry',
    'Run echo hello',
    'Post Run actions/checkout@v4',
    'Notify Slack',
    'Configure AWS credentials',
    '',
  ])('%j → undefined', (step) => {
    for (const service of ['api', 'web', 'database', 'other']) {
      expect(inferStageFromStep(step, service)).toBeUndefined();
    }
  });
});

describe('inferStageFromStep: setup steps (JSDoc: "undefined for steps that are not deployment stages (checkout, setup, …)")', () => {
  // docker/setup-buildx-action's default step name, and the name its README uses: a setup step, not
  // the build. Mapped to `build`, it merges into the build stage and stretches its start and duration.
  test.each(['Set up Docker Buildx', 'Run docker/setup-buildx-action@v3'])('%j → undefined', (step) => {
    expect(inferStageFromStep(step, 'api')).toBeUndefined();
  });
});

describe('errorTypeForStage', () => {
  test.each([
    ['health_check', 'health_check_failed'],
    ['migration', 'migration_failed'],
    ['migration_check', 'migration_failed'],
    ['migration_apply', 'migration_failed'],
    ['smoke_test', 'test_failed'],
    ['verification', 'test_failed'],
    ['rollback', 'rollback_triggered'],
    ['build', 'unknown'],
    ['push', 'unknown'],
    ['install', 'unknown'],
    ['deploy_railway', 'unknown'],
    ['deploy_vercel', 'unknown'],
    ['made_up', 'unknown'],
  ])('%s → %s', (stage, type) => {
    expect(errorTypeForStage(stage)).toBe(type);
  });

  test('every specific error type is one of the design taxonomy', () => {
    const stages = [...new Set(Object.values(KNOWN_STAGES).flat())];
    for (const stage of stages) {
      const type = errorTypeForStage(stage);
      if (type !== 'unknown') expect(ERROR_TYPES as readonly string[]).toContain(type);
    }
  });
});

describe('the tables', () => {
  test('design stages per service', () => {
    expect(KNOWN_STAGES).toEqual({
      api: ['build', 'push', 'deploy_railway', 'health_check', 'migration', 'smoke_test', 'rollback'],
      web: ['install', 'build', 'deploy_vercel', 'verification'],
      database: ['migration_check', 'migration_apply', 'verification'],
    });
  });

  test('design error types', () => {
    expect([...ERROR_TYPES].sort()).toEqual(
      [
        'timeout',
        'health_check_failed',
        'migration_failed',
        'test_failed',
        'rollback_triggered',
        'api_unreachable',
        'database_connection_error',
      ].sort(),
    );
  });
});
