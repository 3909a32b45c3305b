/**
 * atlas-gitops: Argo CD, the Atlas operator, and for every application of the stack its generated database
 * credentials, AppProject and Application. Config is read and validated first, so bad input fails before any
 * resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { applicationWaiter, systemClock } from "./components/application-wait";
import { webhookUrl } from "./components/argocd-access";
import { checkBeforeRegistering, preflightInput } from "./components/argocd-preflight";
import { clusterClient, fleetClient } from "./components/cluster-client";
import { releaseRecovery } from "./components/helm-recovery";
import { passwordGuard } from "./components/password-guard";
import { currentRun } from "./components/pulumi-run";
import { AtlasGitOps } from "./components/platform";
import { readClusterAccess, readHubAccess, spokeServer } from "./stacks/cluster";
import { loadStackConfig } from "./stacks/config";

const config = loadStackConfig(spokeServer);
// `pulumi up` recovers a Helm release an interrupted run left pending, checks each password before it writes it,
// and waits for each Application to run its commit; a preview reads nothing from the cluster. A spoke's
// Applications are in the hub; its Atlas objects, credentials Secrets and Helm releases are in its own cluster.
const ownAccess = pulumi.runtime.isDryRun() ? undefined : readClusterAccess();
const hubAccess = ownAccess && config.location.kind === "hub" ? readHubAccess() : undefined;
const own = ownAccess && clusterClient(ownAccess);
const hub = hubAccess && clusterClient(hubAccess);
const apps = own && (hub ? fleetClient(hub, own) : own);
// With an Argo CD this stack does not install, `up` first checks that it is there, that the hub answers and that
// no other spoke holds our names on it, and stops before the first resource if not.
const check = preflightInput(config);
if (ownAccess && check) checkBeforeRegistering(hubAccess ?? ownAccess, check);
const platform = new AtlasGitOps("atlas-gitops", {
  ...config,
  // The wait stops when this run ends (Ctrl-C), not only when its Application is done.
  waiter: apps && applicationWaiter(apps, systemClock, currentRun()),
  passwordGuard: own && passwordGuard(own),
  releaseRecovery: own && releaseRecovery(own),
});
const { argocd } = platform;

export const argocdNamespace = platform.argocdNamespace;
const ingress = config.operations.ingress;
// Pulumi warns about every undefined export on every run (runtime/stack.js `massage`), and CommonJS has no
// conditional `export const`: the outputs only some stacks have go onto the module's exports object.
if (argocd) {
  // Behind an Ingress argocd-server speaks plain HTTP (server.insecure), so the port-forward goes to port 80.
  const argocdUiCommand = pulumi.interpolate`kubectl port-forward -n ${argocd.namespace} svc/argocd-server 8080:${ingress ? 80 : 443}`;
  Object.assign(module.exports, { argocdUiCommand: argocdUiCommand });
  /** Where argocd-server answers: the Ingress host, or the port-forward above. */
  Object.assign(module.exports, {
    argocdUrl: ingress ? `https://${ingress.host}` : "https://localhost:8080",
  });
  Object.assign(module.exports, {
    argocdAdminPasswordCommand: `pulumi stack output argocdAdminPassword --show-secrets --stack ${config.stack}`,
  });
  /** Secret: shown only with --show-secrets. */
  Object.assign(module.exports, { argocdAdminPassword: argocd.adminPassword });
}
/** gitWebhookUrl: the URL to register as the git host's webhook. Exported only with an Ingress host. */
if (ingress) Object.assign(module.exports, { gitWebhookUrl: webhookUrl(ingress.host) });
/** A spoke's name and server in the hub's Argo CD. */
if (config.location.kind === "hub") {
  Object.assign(module.exports, { clusterName: config.location.cluster.name });
  Object.assign(module.exports, { clusterServer: config.location.cluster.server });
}
/** Per application: where its credentials Secret is, and the names of its Application and AppProject. */
// After every password check: a refused password ends `pulumi up` here with the refusal (see HostedApp).
export const applications = pulumi.all(platform.apps.map((app) => app.passwordChecked)).apply(() =>
  pulumi.output(
    platform.apps.map((app) => ({
      name: app.applicationName,
      project: app.projectName,
      namespace: app.namespace,
      dbSecretName: app.secretName,
    })),
  ),
);
