/**
 * Outside the Functions host there is no worker module `@azure/functions-core`; without it
 * @azure/functions drops into a noisy "test mode". Every test file gets this quiet stand-in (jest
 * `setupFiles`); the registration test replaces it with one that records what is registered.
 */
jest.mock(
  '@azure/functions-core',
  () => ({
    registerFunction: () => ({ dispose: () => undefined }),
    registerHook: () => ({ dispose: () => undefined }),
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
  }),
  { virtual: true },
);
