metadata description = 'Log search alert rules over sas-rotator\'s custom events: any failed target, any part of the estate discovery could not see, any dependent not kept in step, and no successful run within twice the schedule period.'

@description('Required. Prefix of the alert rule names.')
param namePrefix string

@description('Required. Region of the alert rules.')
param location string

@description('Optional. Tags of the alert rules.')
param tags object = {}

@description('Required. Resource ID of the Application Insights component whose customEvents the rules query.')
param applicationInsightsResourceId string

@minValue(1)
@maxValue(24)
@description('Optional. Hours between two scheduled runs (24 for the daily default schedule). The "no successful run" rule looks back twice this long (at most 48 hours, the longest window of a log search alert).')
param scheduleIntervalHours int = 24

@description('Optional. Resource ID of an action group to notify. Empty: the rules fire without actions.')
param actionGroupResourceId string = ''

var actions = empty(actionGroupResourceId) ? {} : {
  actionGroups: [
    actionGroupResourceId
  ]
}

// Any SasKeyRotationFailed: one alert per workflow (dimension workflowId). The 30-minute window
// evaluated every 15 minutes overlaps, so an event that is ingested a few minutes late is still
// seen; the rule is stateful (autoMitigate), so the overlap does not notify twice.
resource targetFailed 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-target-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'sas-rotator: a workflow failed to rotate'
    description: 'sas-rotator recorded SasKeyRotationFailed: a target that was due was not rotated (failed at the step in the alert\'s dimensions, not started before the deadline, or not queued). For a two-key workflow its published callback URL still works; for a Power Automate hard cut the error message says whether it does. The next run retries. docs/operations.md says what each step and error code means.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsightsResourceId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M'
    autoMitigate: true
    // The query is checked offline by the Kusto language service and against the telemetry constants
    // (test/infra/kql.test.ts); ARM's own check can fail on a component created seconds earlier.
    skipQueryValidation: true
    criteria: {
      allOf: [
        {
          query: '''
customEvents
| where name == "SasKeyRotationFailed"
| extend workflowId = tostring(customDimensions.workflowId), step = tostring(customDimensions.step), errorCode = tostring(customDimensions.errorCode), statusCode = tostring(customDimensions.statusCode)
| project timestamp, workflowId, step, errorCode, statusCode
'''
          timeAggregation: 'Count'
          dimensions: [
            {
              name: 'workflowId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

// Any SasKeyDiscoveryFailed: a scope, a site or a listing that discovery could not read, a tagged
// workflow with bad tags, or one whose secret name another target uses. Workflows in such a part of
// the estate are not rotated, and no SasKeyRotationFailed names them (nobody knows them), so this
// rule is the only one that sees them. One alert per scope and resource (dimension subject).
resource discoveryFailed 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-discovery-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'sas-rotator: part of the estate was not discovered'
    description: 'sas-rotator recorded SasKeyDiscoveryFailed: a ROTATION_DISCOVERY scope, a Logic Apps Standard site or a listing could not be read (permissions, throttling, a listing that loops or never ends, the discovery time budget), or a tagged workflow was left out (bad tag, secret name collision). Workflows there are not rotated until it is fixed. The dimensions name the scope or resource, the operation and the error code; docs/operations.md says what to do for each.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsightsResourceId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M'
    autoMitigate: true
    skipQueryValidation: true
    criteria: {
      allOf: [
        {
          query: '''
customEvents
| where name == "SasKeyDiscoveryFailed"
| extend scope = tostring(customDimensions.scope), resourceId = tostring(customDimensions.resourceId), operation = tostring(customDimensions.operation), errorCode = tostring(customDimensions.errorCode)
| extend subject = iff(isempty(resourceId), scope, resourceId)
| project timestamp, subject, operation, errorCode
'''
          timeAggregation: 'Count'
          dimensions: [
            {
              name: 'subject'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'errorCode'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

// No successful SasKeyRotationRun within twice the schedule period: the timer stopped, the app is
// stopped or broken (a configuration error records a Failed run, or none when the telemetry settings
// themselves are broken), or every target failed
// for two periods. Succeeded, NothingDue and PartiallyFailed count as successful: the timer ran and
// the protocol reached the targets; the failed targets of a PartiallyFailed run already raise the
// rule above. Failed does not count. Right after the first deployment the rule fires until the
// first run is recorded (there is no run in the window yet), and resolves itself after it.
resource noSuccessfulRun 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-no-successful-run'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'sas-rotator: no successful run in ${2 * scheduleIntervalHours} hours'
    description: 'No SasKeyRotationRun with outcome Succeeded, NothingDue or PartiallyFailed in the last ${2 * scheduleIntervalHours} hours: the rotation timer did not run, or every run failed. Check the function app is running and its configuration errors (function logs), then run the rotation.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsightsResourceId
    ]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT${2 * scheduleIntervalHours}H'
    autoMitigate: true
    skipQueryValidation: true
    criteria: {
      allOf: [
        {
          query: '''
customEvents
| where name == "SasKeyRotationRun"
| extend outcome = tostring(customDimensions.outcome)
| where outcome in ("Succeeded", "NothingDue", "PartiallyFailed")
| project timestamp, outcome
'''
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

// Any SasKeyDependentUpdateFailed: a dependent (APIM named value, action group, Event Grid
// subscription) that could not be read or brought to the latest URL, or a Key Vault reference that
// points elsewhere. It may hold a URL the next rotation would cut off, so the gate holds that
// rotation until it is fixed. One alert per dependent and error code.
resource dependentFailed 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-dependent-not-updated'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'sas-rotator: a dependent was not kept in step'
    description: 'sas-rotator recorded SasKeyDependentUpdateFailed: a dependent of a workflow (API Management named value, Monitor action group, Event Grid event subscription) could not be read or updated to the latest callback URL (permissions, a manual change, a long-running operation that failed), or a Key Vault-backed named value points at another secret or a pinned version. Until it is fixed, the next regeneration of the key it holds is refused (DependentNotUpdated), so the dependent keeps working. The dimensions name the dependent and the error code; docs/operations.md says what to do for each.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsightsResourceId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M'
    autoMitigate: true
    skipQueryValidation: true
    criteria: {
      allOf: [
        {
          query: '''
customEvents
| where name == "SasKeyDependentUpdateFailed"
| extend dependentId = tostring(customDimensions.dependentId), workflowId = tostring(customDimensions.workflowId), errorCode = tostring(customDimensions.errorCode)
| project timestamp, dependentId, workflowId, errorCode
'''
          timeAggregation: 'Count'
          dimensions: [
            {
              name: 'dependentId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'errorCode'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

@description('Resource IDs of the alert rules.')
output resourceIds array = [
  targetFailed.id
  discoveryFailed.id
  dependentFailed.id
  noSuccessfulRun.id
]
