/**
 * atlas-gitops: Argo CD, the Atlas operator, generated database credentials and this stack's Application.
 * Config is read and validated first, so bad input fails before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { AtlasGitOps } from "./components/platform";
import { loadStackConfig } from "./stacks/config";

const config = loadStackConfig();
const platform = new AtlasGitOps("atlas-gitops", config);
const { argocd, application, credentials } = platform;

export const argocdNamespace = argocd.namespace;
export const argocdUiCommand = pulumi.interpolate`kubectl port-forward -n ${argocd.namespace} svc/argocd-server 8080:443`;
export const argocdAdminPasswordCommand = `pulumi stack output argocdAdminPassword --show-secrets --stack ${config.stack}`;
/** Secret: shown only with --show-secrets. */
export const argocdAdminPassword = argocd.adminPassword;
export const applicationName = application.applicationName;
export const appProjectName = application.projectName;
export const dbSecretName = credentials.secretName;
export const dbSecretNamespace = credentials.namespace;
