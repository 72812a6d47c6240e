metadata description = 'Azure Monitor workbook over sas-rotator\'s custom events: runs, rotations per workflow, failures by step and error code, sig fingerprint history, what is due next.'

@description('Required. Display name of the workbook; unique within the resource group.')
param displayName string

@description('Required. Region of the workbook.')
param location string

@description('Optional. Tags of the workbook.')
param tags object = {}

@description('Required. Resource ID of the Application Insights component the workbook queries.')
param applicationInsightsResourceId string

// The workbook's queries live in rotation-workbook.json (a test checks them against the telemetry
// constants); it queries the component named by fallbackResourceIds, filled in here.
var serializedData = replace(loadTextContent('rotation-workbook.json'), '__APPLICATION_INSIGHTS_RESOURCE_ID__', applicationInsightsResourceId)

resource workbook 'Microsoft.Insights/workbooks@2022-04-01' = {
  name: guid(resourceGroup().id, applicationInsightsResourceId, 'sas-rotator-rotation-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    version: '1.0'
    // Lower case, as the portal stores it for workbooks saved from a component's Workbooks blade.
    sourceId: toLower(applicationInsightsResourceId)
    serializedData: serializedData
  }
}

@description('Resource ID of the workbook.')
output resourceId string = workbook.id
