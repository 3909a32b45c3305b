/**
 * How Argo CD v3.4.4's application controller writes health into an Application's status, written from
 * argoproj/argo-cd at tag v3.4.4:
 * - cmd/argocd-application-controller/commands/argocd_application_controller.go NewCommand: the
 *   `--persist-resource-health` flag defaults to `env.ParseBoolFromEnv("ARGOCD_APPLICATION_CONTROLLER_PERSIST_
 *   RESOURCE_HEALTH", false)`; util/env/env.go ParseBoolFromEnv: "true"/"false" in any case, anything else (or
 *   unset, or empty) the default.
 * - controller/state.go CompareAppState hands that setting to controller/health.go `setApplicationHealth`, which,
 *   for every managed resource (hooks and resources annotated to ignore health skipped): a resource with no live
 *   object is Missing; otherwise its health comes from the health checks (a Lua override for the Atlas kinds).
 *   With persistence on, the resource's entry in `status.resources[]` gets `health: {status, message}`; with it
 *   off the entry's health is set to nil. The application's health is the worst of them by gitops-engine
 *   pkg/health/health.go `healthOrder` (`IsWorse`), a Missing resource without a live object not counting, and
 *   Missing when there are resources but none is live. Last, `status.resourceHealthSource` is "" (omitted,
 *   ResourceHealthLocationInline) with persistence on and "appTree" (ResourceHealthLocationAppTree,
 *   pkg/apis/application/v1alpha1/types.go) with it off: the health then lives only in the resource tree the API
 *   server serves from the controller's cache, which the notifications controller (reading the Application
 *   object) never sees.
 * Not modelled: hooks, the ignore-health annotation, an Application managing itself, health-check errors.
 */

/** gitops-engine pkg/health/health.go healthOrder, most healthy first (an unlisted code counts as index 0). */
const HEALTH_ORDER = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"];

const isWorse = (current: string, next: string) =>
  Math.max(0, HEALTH_ORDER.indexOf(next)) > Math.max(0, HEALTH_ORDER.indexOf(current));

/** util/env/env.go ParseBoolFromEnv with the flag's default (false), for the controller's environment value. */
export function persistResourceHealth(envValue: string | undefined): boolean {
  if (envValue === undefined || envValue === "") return false;
  if (envValue.toLowerCase() === "true") return true;
  if (envValue.toLowerCase() === "false") return false;
  return false;
}

/** A health as gitops-engine returns it (the Lua sandbox's HealthStatus fits). */
export interface ResourceHealth {
  readonly status: string;
  readonly message?: string;
}

/** One managed resource as the controller compares it: its reference, sync status and live health. */
export interface ManagedResource {
  readonly group?: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly status: string;
  /** The health the checks give the live object; undefined when there is no live object (Missing). */
  readonly live?: ResourceHealth;
}

export interface ApplicationHealthStatus {
  readonly health: { readonly status: string };
  readonly resources: Record<string, unknown>[];
  readonly resourceHealthSource?: "appTree";
}

/** The parts of `status` setApplicationHealth writes, for resources in the controller's order. */
export function setApplicationHealth(
  resources: readonly ManagedResource[],
  persist: boolean,
): ApplicationHealthStatus {
  let appHealth = "Healthy";
  let containsLive = false;
  const statuses = resources.map(({ live, ...ref }) => {
    if (live !== undefined) containsLive = true;
    const health: ResourceHealth = live ?? { status: "Missing" };
    // The ResourceStatus's json tags: health omitempty, message omitempty.
    const entry: Record<string, unknown> = { ...ref };
    if (persist)
      entry.health = health.message
        ? { status: health.status, message: health.message }
        : { status: health.status };
    const missingNotLive = live === undefined && health.status === "Missing";
    const childAppUnknown =
      ref.kind === "Application" &&
      ref.group === "argoproj.io" &&
      (health.status === "Missing" || health.status === "Unknown");
    if (!missingNotLive && !childAppUnknown && isWorse(appHealth, health.status)) appHealth = health.status;
    return entry;
  });
  if (resources.length > 0 && !containsLive && isWorse(appHealth, "Missing")) appHealth = "Missing";
  return {
    health: { status: appHealth },
    resources: statuses,
    ...(persist ? {} : { resourceHealthSource: "appTree" as const }),
  };
}

/**
 * What Argo CD 3.x shows for an object being deleted (deletionTimestamp set, no Argo CD hook finalizer), given
 * what the kind's health check returned for it. Up to v3.5 gitops-engine's GetResourceHealth answers Progressing
 * "Pending deletion" before any check runs (pkg/health/health.go, read at the engine Argo CD v3.5.3 is built
 * with). From v3.6 the check runs: when it sets `deletionMessage`, its status and that message are shown, else
 * Progressing "Pending deletion; blocked by finalizers: ..." (pendingDeletionHealth, gitops-engine/v3 v3.6.2).
 */
export function terminatingHealth(
  argoCdMinor: number,
  finalizers: readonly string[],
  check: ResourceHealth & { readonly deletionMessage?: string },
): ResourceHealth {
  if (argoCdMinor >= 6 && check.deletionMessage) {
    return { status: check.status, message: check.deletionMessage };
  }
  if (argoCdMinor >= 6 && finalizers.length > 0) {
    return {
      status: "Progressing",
      message: `Pending deletion; blocked by finalizers: ${finalizers.join(", ")}`,
    };
  }
  return { status: "Progressing", message: "Pending deletion" };
}
