import type { Config } from 'jest';

// ESM all the way (jose 6 and oidc-provider are ESM-only): ts-jest in ESM mode, `.js` import
// suffixes mapped back to the TypeScript sources. Type checking is done once by `tsc --noEmit`
// in `npm test`, so ts-jest only transpiles (isolatedModules) and stays fast.
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    // @kestra-io/kestra-sdk 0.24.1 requires model files it does not ship: a pass-through stand-in (test/server/support/sdk.ts).
    '^\\./(SLALabels|LeftSidebarConfiguration|MiscControllerEdition|RightSidebarConfiguration|RightSidebarConfigurationCustomLink)$':
      '<rootDir>/test/server/support/sdk-missing-model.cjs',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  // Generous: CLI tests start real child processes, which take seconds each on a busy 2-core machine.
  testTimeout: 120_000,
  maxWorkers: 2,
};

export default config;
