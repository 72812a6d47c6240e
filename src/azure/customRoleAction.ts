/** An Azure RBAC action one of sas-rotator's custom roles grants, with the operations that need it. */
export interface CustomRoleAction {
  readonly action: string;
  /**
   * The operations that need it: operation IDs of the provider's REST spec (each role's list names the
   * versions). A long-running operation also needs the actions of the status URLs it is polled on.
   */
  readonly neededBy: readonly string[];
}
