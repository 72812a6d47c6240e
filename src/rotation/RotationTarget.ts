import type { Dependent } from './Dependent';
import type { WorkflowHost } from './WorkflowHost';

/** One HTTP trigger whose callback URL sas-rotator keeps fresh in one Key Vault secret. */
export interface RotationTarget {
  /** Resource ID of the workflow or flow, as configured. */
  readonly workflowId: string;
  /** Which service hosts it: decides the API and whether keys alternate. */
  readonly host: WorkflowHost;
  /** Name of the Request trigger, `manual` unless configured. */
  readonly trigger: string;
  /** Key Vault secret that holds the published callback URL. */
  readonly secretName: string;
  /** The target is due when its last rotation is older than this. */
  readonly intervalDays: number;
  /** Allow taking over an existing secret that sas-rotator did not create. */
  readonly adopt: boolean;
  /** Callers that keep their own copy of the URL and are updated after each publication (docs/design.md §12). */
  readonly dependents?: readonly Dependent[];
  /**
   * Found by tag discovery as one of a tagged Standard site's workflows rather than named by the
   * user: a workflow there without the Request trigger is skipped, not failed.
   */
  readonly discoveredFromSite?: boolean;
  /** The ROTATION_DISCOVERY scope it was found in; undefined for a listed target. */
  readonly discoveredIn?: string;
}
