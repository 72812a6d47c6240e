import { parseCallbackUrl } from './CallbackUrl';
import { resourceGroupNamePattern } from './WorkflowResourceId';

/**
 * A caller that keeps its own copy of a target's callback URL and never reads Key Vault, named by
 * its ARM resource ID (docs/design.md §12). sas-rotator keeps it in step through its management API:
 * - `apimNamedValue`: an API Management named value holding the trigger's `sig` (what APIM's
 *   "Import Logic App" wizard stores) or the whole URL; or a Key Vault reference, which is only checked;
 * - `actionGroup`: an Azure Monitor action group; its Logic App receivers whose `resourceId` is the
 *   target's workflow;
 * - `eventSubscription`: an Event Grid event subscription (any scope) with a WebHook destination.
 */
export type DependentKind = 'apimNamedValue' | 'actionGroup' | 'eventSubscription';

export interface Dependent {
  /** The resource ID as configured. */
  readonly resourceId: string;
  readonly kind: DependentKind;
}

const guid = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const resourceGroupScope = `/subscriptions/${guid}/resourceGroups/${resourceGroupNamePattern}`;
const patterns: ReadonlyArray<{ readonly kind: DependentKind; readonly pattern: RegExp }> = [
  {
    kind: 'apimNamedValue',
    // Service names: 1–50 letters, digits, hyphens, starting with a letter; named value IDs: up to 256, none of *#&+:<>?
    pattern: new RegExp(
      `^${resourceGroupScope}/providers/Microsoft\\.ApiManagement/service/[A-Za-z](?:[-A-Za-z0-9]{0,48}[A-Za-z0-9])?/namedValues/[^*#&+:<>?/]{1,256}$`,
      'iu',
    ),
  },
  {
    kind: 'actionGroup',
    pattern: new RegExp(`^${resourceGroupScope}/providers/Microsoft\\.Insights/actionGroups/[^/]{1,260}$`, 'iu'),
  },
  {
    // The extension form on any scope: a subscription, a resource group or a resource (a custom topic, say).
    kind: 'eventSubscription',
    pattern: new RegExp(
      `^/subscriptions/${guid}(?:/[^/]+/[^/]+)*/providers/Microsoft\\.EventGrid/eventSubscriptions/[-A-Za-z0-9]{3,64}$`,
      'iu',
    ),
  },
];

/** The dependent a resource ID names, or undefined when it is none of the supported kinds. */
export function parseDependent(resourceId: string): Dependent | undefined {
  const kind = patterns.find(({ pattern }) => pattern.test(resourceId))?.kind;
  return kind === undefined ? undefined : { resourceId, kind };
}

/** The shapes parseDependent accepts, for error messages. */
export const dependentIdShapes =
  '/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<service>/namedValues/<name>, ' +
  '/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.Insights/actionGroups/<group>, or ' +
  '<scope>/providers/Microsoft.EventGrid/eventSubscriptions/<name> (scope: a subscription, resource group or resource)';

/**
 * What a dependent holds now, read through its management API. `sigs` are secret: the protocol
 * compares and fingerprints them, never prints them.
 */
export type DependentHolding =
  /**
   * It holds the whole callback URL (one place per copy: an action group may have several receivers for the
   * workflow). `endpoints` are the URLs without their query (`callbackEndpoint`), one per copy: a copy that
   * calls another workflow or trigger is refused rather than repointed.
   */
  | { readonly form: 'url'; readonly sigs: readonly string[]; readonly endpoints?: readonly string[] }
  /** It holds only the `sig` (an APIM named value added to the backend request by a policy). */
  | { readonly form: 'sig'; readonly sigs: readonly string[] }
  /** An APIM named value that references a Key Vault secret: APIM refreshes it, sas-rotator only checks where it points. */
  | { readonly form: 'keyVaultReference'; readonly secretIdentifier: string };

/**
 * Which form a stored text has: a callback URL with a `sig`, a bare `sig`, or neither. Decided from
 * its shape so that nobody has to say it, and never by printing it.
 */
export function holdingFormOf(
  value: string,
): { readonly form: 'url'; readonly sig: string; readonly endpoint: string } | { readonly form: 'sig'; readonly sig: string } | undefined {
  const trimmed = value.trim();
  const url = parseCallbackUrl(trimmed);
  if (url) return { form: 'url', sig: url.sig, endpoint: callbackEndpoint(trimmed) };
  // A sig is base64url (43 characters for Logic Apps' HMAC-SHA256), possibly percent-encoded when copied from a URL.
  if (/^[A-Za-z0-9_\-%+/=]{16,200}$/.test(trimmed)) {
    try {
      return { form: 'sig', sig: decodeURIComponent(trimmed) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * What a callback URL calls, without its query (sig, sp, api-version): host and path, lower-case, the
 * default port dropped. Two URLs of one trigger have the same endpoint; another trigger's or workflow's differs.
 */
export function callbackEndpoint(url: string): string {
  const parsed = new URL(url);
  return `${parsed.host}${parsed.pathname}`.toLowerCase();
}
