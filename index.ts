/**
 * atlas-gitops: Argo CD, the Atlas operator, and for every application of the stack its generated database
 * credentials, AppProject and Application. Config is read and validated first, so bad input fails before any
 * resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { AtlasGitOps } from "./components/platform";
import { loadStackConfig } from "./stacks/config";

const config = loadStackConfig();
const platform = new AtlasGitOps("atlas-gitops", config);
const { argocd } = platform;

export const argocdNamespace = argocd.namespace;
export const argocdUiCommand = pulumi.interpolate`kubectl port-forward -n ${argocd.namespace} svc/argocd-server 8080:443`;
export const argocdAdminPasswordCommand = `pulumi stack output argocdAdminPassword --show-secrets --stack ${config.stack}`;
/** Secret: shown only with --show-secrets. */
export const argocdAdminPassword = argocd.adminPassword;
/** Per application: where its credentials Secret is, and the names of its Application and AppProject. */
export const applications = platform.apps.map((app) => ({
  name: app.applicationName,
  project: app.projectName,
  namespace: app.namespace,
  dbSecretName: app.secretName,
}));
