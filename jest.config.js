/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The randomized fault schedules run in `npm run test:chaos` (jest.chaos.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/chaos/'],
  transform: {
    // Type checking is `npm run typecheck`'s job; isolatedModules (tsconfig) makes ts-jest transpile only.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  setupFiles: ['<rootDir>/test/support/functionsWorkerStub.ts', '<rootDir>/test/support/telemetrySdkInJest.ts'],
  // Every exchange with the emulator is checked against Microsoft's published specs (test/openapi);
  // the coverage table is printed once, after the suite.
  globalSetup: '<rootDir>/test/openapi/globalSetup.ts',
  globalTeardown: '<rootDir>/test/openapi/globalTeardown.ts',
  testTimeout: 60000,
};
