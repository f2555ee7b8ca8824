/**
 * Jest on native ESM: ts-jest with useESM, run under `--experimental-vm-modules`
 * (scripts/test.mjs sets it). Imports keep their `.js` suffix (NodeNext), which
 * the moduleNameMapper strips so ts-jest finds the `.ts` source.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: { ignoreCodes: [151002] } },
    ],
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  collectCoverageFrom: ['src/**/*.ts', '!src/entrypoints/**'],
  coverageThreshold: { global: { lines: 80, branches: 70, functions: 80, statements: 80 } },
  testTimeout: 60000,
  // Three workers on a 2-core machine: the end-to-end files mostly wait on real services and real
  // time (Prometheus evaluations, Alertmanager group waits), so they overlap well. Measured on a
  // 2-core machine under a load of about 5: e2e 334 s with 3 workers against about 930 s of file
  // time run one by one (docs/development.md, "Test time").
  maxWorkers: 3,
};
