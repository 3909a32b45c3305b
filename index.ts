/**
 * atlas-gitops: Argo CD, the Atlas operator, generated database credentials and this stack's Application.
 * Config is read and validated first, so bad input fails before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { GitOpsApplication } from "./components/application";
import { ArgoCd } from "./components/argocd";
import { AtlasOperator } from "./components/atlas-operator";
import { DatabaseCredentials } from "./components/database-credentials";
import { atlasHealthChecks } from "./components/health-checks";
import { loadStackConfig } from "./stacks/config";

const config = loadStackConfig();
const protect = config.protectResources;

// Each layer waits for the one before it, so a failed install stops before the next one starts, and the
// Application comes last: by the time Argo CD syncs it, the health checks, the operator and the Secret exist.
const argocd = new ArgoCd("argocd", {
    namespace: config.argocd.namespace,
    chartVersion: config.argocd.chartVersion,
    cmEntries: atlasHealthChecks(),
    adminEnabled: config.argocd.adminEnabled,
    protect,
});

const atlas = new AtlasOperator(
    "atlas-operator",
    {
        namespace: config.atlas.namespace,
        chartVersion: config.atlas.chartVersion,
        prewarmDevDB: config.atlas.prewarmDevDB,
        atlasToken: config.atlas.token,
        protect,
    },
    { dependsOn: [argocd] },
);

const credentials = new DatabaseCredentials(
    "db-credentials",
    {
        namespace: config.app.namespace,
        secretName: config.database.secretName,
        engine: config.database.engine,
        host: config.database.host,
        port: config.database.port,
        database: config.database.name,
        user: config.database.user,
        passwordRotation: config.database.passwordRotation,
        protect,
    },
    { dependsOn: [atlas] },
);

const app = new GitOpsApplication(
    "app",
    {
        name: config.app.name,
        argocdNamespace: config.argocd.namespace,
        namespace: config.app.namespace,
        source: config.source,
        automated: config.app.automated,
        prune: config.app.prune,
        selfHeal: config.app.selfHeal,
        cascadeDelete: config.app.cascadeDelete,
        repoCredentials: config.repoCredentials,
    },
    { dependsOn: [argocd, atlas, credentials] },
);

export const argocdNamespace = argocd.namespace;
export const argocdUiCommand = pulumi.interpolate`kubectl port-forward -n ${argocd.namespace} svc/argocd-server 8080:443  # then open https://localhost:8080 as admin`;
export const argocdAdminPasswordCommand = `pulumi stack output argocdAdminPassword --show-secrets --stack ${config.stack}`;
export const argocdAdminPassword = argocd.adminPassword;
export const applicationName = app.applicationName;
export const appProjectName = app.projectName;
export const dbSecretName = credentials.secretName;
export const dbSecretNamespace = credentials.namespace;
