/** The Azure services the emulator speaks for; each one listens on its own loopback port. */
export type EmulatorService = 'arm' | 'keyVault' | 'appInsights' | 'identity' | 'logicRuntime' | 'flow';

export const emulatorServices: readonly EmulatorService[] = ['identity', 'arm', 'logicRuntime', 'keyVault', 'appInsights', 'flow'];
