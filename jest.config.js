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
  testTimeout: 60000,
};
