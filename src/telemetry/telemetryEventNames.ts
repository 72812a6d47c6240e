/**
 * Application Insights custom event names (DESIGN §6). Dashboards, workbooks and alerts query
 * these exact strings: renaming one is a breaking change.
 */
export const telemetryEventNames = {
  targetRotated: 'SasKeyRotated',
  targetFailed: 'SasKeyRotationFailed',
  run: 'SasKeyRotationRun',
} as const;
