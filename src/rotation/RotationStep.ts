/** The step of the protocol (DESIGN §3) at which a target failed; dashboards group failures by it. */
export type RotationStep = 'readSecret' | 'listBefore' | 'regenerate' | 'listAfter' | 'verify' | 'publish';
