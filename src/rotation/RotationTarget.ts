/** One HTTP trigger whose callback URL sas-rotator keeps fresh in one Key Vault secret. */
export interface RotationTarget {
  /** ARM resource ID of the workflow, as configured. */
  readonly workflowId: string;
  /** Name of the Request trigger, `manual` unless configured. */
  readonly trigger: string;
  /** Key Vault secret that holds the published callback URL. */
  readonly secretName: string;
  /** The target is due when its last rotation is older than this. */
  readonly intervalDays: number;
  /** Allow taking over an existing secret that sas-rotator did not create. */
  readonly adopt: boolean;
}
