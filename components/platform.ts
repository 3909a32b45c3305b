/** The whole platform for one stack: Argo CD, the Atlas operator, the credentials and the Application, in order. */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../stacks/config";
import { GitOpsApplication } from "./application";
import { ArgoCd } from "./argocd";
import { AtlasOperator } from "./atlas-operator";
import { DatabaseCredentials } from "./database-credentials";
import { atlasHealthChecks } from "./health-checks";

export class AtlasGitOps extends pulumi.ComponentResource {
  public readonly argocd: ArgoCd;
  public readonly atlasOperator: AtlasOperator;
  public readonly credentials: DatabaseCredentials;
  public readonly application: GitOpsApplication;

  constructor(name: string, config: StackConfig, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:platform:AtlasGitOps", name, {}, opts);
    const protect = config.protectResources;

    // Each layer waits for the one before it, so a failed install stops before the next one starts, and the
    // Application comes last: when Argo CD first syncs it, the health checks, the operator and the Secret exist.
    this.argocd = new ArgoCd(
      "argocd",
      {
        namespace: config.argocd.namespace,
        chartVersion: config.argocd.chartVersion,
        cmEntries: atlasHealthChecks(),
        adminEnabled: config.argocd.adminEnabled,
        protect,
      },
      { parent: this },
    );

    this.atlasOperator = new AtlasOperator(
      "atlas-operator",
      {
        namespace: config.atlas.namespace,
        chartVersion: config.atlas.chartVersion,
        prewarmDevDB: config.atlas.prewarmDevDB,
        atlasToken: config.atlas.token,
        protect,
      },
      { parent: this, dependsOn: [this.argocd] },
    );

    this.credentials = new DatabaseCredentials(
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
      { parent: this, dependsOn: [this.atlasOperator] },
    );

    this.application = new GitOpsApplication(
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
      { parent: this, dependsOn: [this.argocd, this.atlasOperator, this.credentials] },
    );

    this.registerOutputs({});
  }
}
