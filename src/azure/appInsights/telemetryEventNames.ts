/**
 * Application Insights custom event names and their fields (docs/design.md §6). Dashboards, the workbook
 * and the alert rules in infra/ query these exact strings, and a test checks every KQL query
 * against them: renaming one is a breaking change.
 */
export const telemetryEventNames = {
  targetRotated: 'SasKeyRotated',
  targetFailed: 'SasKeyRotationFailed',
  run: 'SasKeyRotationRun',
  discoveryFailed: 'SasKeyDiscoveryFailed',
  dependentUpdated: 'SasKeyDependentUpdated',
  dependentFailed: 'SasKeyDependentUpdateFailed',
} as const;

/** customDimensions of each event. */
export const telemetryEventProperties = {
  SasKeyRotated: [
    'workflowId',
    'trigger',
    'keyType',
    'secretName',
    'secretVersion',
    'oldSigFingerprint',
    'newSigFingerprint',
    'sigChanged',
    'hardCut',
    'invocationId',
  ],
  SasKeyRotationFailed: ['workflowId', 'trigger', 'keyType', 'step', 'statusCode', 'errorCode', 'message', 'invocationId'],
  SasKeyRotationRun: ['outcome', 'invocationId', 'isPastDue'],
  SasKeyDiscoveryFailed: ['scope', 'resourceId', 'operation', 'statusCode', 'errorCode', 'message', 'invocationId'],
  SasKeyDependentUpdated: ['workflowId', 'dependentId', 'dependentKind', 'form', 'oldSigFingerprints', 'newSigFingerprint', 'invocationId'],
  SasKeyDependentUpdateFailed: ['workflowId', 'dependentId', 'dependentKind', 'statusCode', 'errorCode', 'message', 'invocationId'],
} as const;

/** customMeasurements of each event. */
export const telemetryEventMeasurements = {
  SasKeyRotated: ['durationMs'],
  SasKeyRotationFailed: ['durationMs'],
  SasKeyRotationRun: ['targets', 'rotated', 'skipped', 'failed', 'discoveryProblems', 'dependentFailures', 'durationMs'],
  SasKeyDiscoveryFailed: [],
  SasKeyDependentUpdated: [],
  SasKeyDependentUpdateFailed: [],
} as const;
