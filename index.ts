/**
 * atlas-gitops: Argo CD, the Atlas operator, and for every application of the stack its generated database
 * credentials, AppProject and Application. Config is read and validated first, so bad input fails before any
 * resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { applicationWaiter } from "./components/application-wait";
import { webhookUrl } from "./components/argocd-access";
import { clusterClient } from "./components/cluster-client";
import { releaseRecovery } from "./components/helm-recovery";
import { passwordGuard } from "./components/password-guard";
import { AtlasGitOps } from "./components/platform";
import { readClusterAccess } from "./stacks/cluster";
import { loadStackConfig } from "./stacks/config";

const config = loadStackConfig();
// `pulumi up` recovers a Helm release an interrupted run left pending, checks each password before it writes it,
// and waits for each Application to run its commit; a preview reads nothing from the cluster.
const cluster = pulumi.runtime.isDryRun() ? undefined : clusterClient(readClusterAccess());
const platform = new AtlasGitOps("atlas-gitops", {
  ...config,
  waiter: cluster && applicationWaiter(cluster),
  passwordGuard: cluster && passwordGuard(cluster),
  releaseRecovery: cluster && releaseRecovery(cluster),
});
const { argocd } = platform;

export const argocdNamespace = argocd.namespace;
const ingress = config.operations.ingress;
// Behind an Ingress argocd-server speaks plain HTTP (server.insecure), so the port-forward goes to port 80.
export const argocdUiCommand = pulumi.interpolate`kubectl port-forward -n ${argocd.namespace} svc/argocd-server 8080:${ingress ? 80 : 443}`;
/** Where argocd-server answers: the Ingress host, or the port-forward above. */
export const argocdUrl = ingress ? `https://${ingress.host}` : "https://localhost:8080";
export const argocdAdminPasswordCommand = `pulumi stack output argocdAdminPassword --show-secrets --stack ${config.stack}`;
/** Secret: shown only with --show-secrets. */
export const argocdAdminPassword = argocd.adminPassword;
/**
 * gitWebhookUrl: the URL to register as the git host's webhook. Exported only with an Ingress host: Pulumi warns
 * about every undefined export on every run (runtime/stack.js `massage`), and CommonJS has no conditional
 * `export const`, so it goes onto the module's exports object here.
 */
if (ingress) Object.assign(module.exports, { gitWebhookUrl: webhookUrl(ingress.host) });
/** Per application: where its credentials Secret is, and the names of its Application and AppProject. */
export const applications = platform.apps.map((app) => ({
  name: app.applicationName,
  project: app.projectName,
  namespace: app.namespace,
  dbSecretName: app.secretName,
}));
