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
};
