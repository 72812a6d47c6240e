/** Where an ARM resource lives. */
export interface ArmScoped {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
}

/**
 * The resource groups ARM knows, whichever provider's resources they hold (Microsoft.Logic workflows,
 * Microsoft.Web sites): one exists once added, or once a resource was added to it.
 */
export class ResourceGroups {
  private readonly groups = new Set<string>();

  add(subscriptionId: string, resourceGroup: string): void {
    this.groups.add(`${subscriptionId}/${resourceGroup}`.toLowerCase());
  }

  exists(subscriptionId: string, resourceGroup: string): boolean {
    return this.groups.has(`${subscriptionId}/${resourceGroup}`.toLowerCase());
  }
}

/** Whether a resource lies in a subscription, or in one of its resource groups (ARM compares names without regard to case). */
export function isInScope(resource: ArmScoped, subscriptionId: string, resourceGroup?: string): boolean {
  return (
    resource.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
    (resourceGroup === undefined || resource.resourceGroup.toLowerCase() === resourceGroup.toLowerCase())
  );
}
