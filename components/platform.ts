/** The whole platform for one stack: Argo CD and the Atlas operator side by side, then every hosted application. */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../stacks/types";
import { ArgoCd } from "./argocd";
import { AtlasOperator } from "./atlas-operator";
import { atlasHealthChecks } from "./health-checks";
import { HostedApp } from "./hosted-app";

export class AtlasGitOps extends pulumi.ComponentResource {
  public readonly argocd: ArgoCd;
  public readonly atlasOperator: AtlasOperator;
  /** One per application, in the order the stack lists them. */
  public readonly apps: HostedApp[];

  constructor(name: string, config: StackConfig, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:platform:AtlasGitOps", name, {}, opts);
    const protect = config.protectResources;

    // Argo CD and the operator need nothing from each other, so both Helm installs run at once: the first
    // `pulumi up` waits for one install, not two in a row.
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
        watchNamespaces: config.applications.map((a) => a.namespace),
        clusterWide: config.atlas.clusterWide,
        protect,
      },
      { parent: this },
    );
    const operatorAccess = config.atlas.clusterWide
      ? undefined
      : { namespace: config.atlas.namespace, serviceAccount: this.atlasOperator.serviceAccountName };

    // No dependsOn on the component: it would hold back its namespace and credentials too. Inside, only the
    // AppProject, the repository Secret and the Application wait for the platform: Argo CD's first sync of an
    // Application needs the Atlas health checks in argocd-cm (or AtlasSchema turns Healthy before it is applied),
    // the operator's CRDs (or the AtlasSchema cannot be applied) and its Role in the namespace, and the
    // credentials Secret.
    this.apps = config.applications.map(
      (app) =>
        new HostedApp(
          app.name,
          {
            app,
            argocdNamespace: config.argocd.namespace,
            repoCredentials: config.repoCredentials,
            platform: [this.argocd, this.atlasOperator],
            operatorAccess,
            protect,
          },
          { parent: this },
        ),
    );

    this.registerOutputs({});
  }
}
