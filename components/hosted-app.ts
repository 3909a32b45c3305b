/**
 * One application the platform hosts: its namespace, a generated database password in the Secret its manifests
 * reference, an AppProject that allows only its repository and namespace, its Application, and the wait for it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as kx from "@pulumi/kubernetesx";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AppConfig } from "../stacks/types";
import {
  applicationManifest,
  appProjectManifest,
  REPOSITORY_SECRET_LABEL,
  repositorySecretData,
} from "./application";
import { AtlasOperatorRbac } from "./atlas-operator-rbac";
import { SpokeNamespaceAccess } from "./spoke-access";
import { componentNamespace, guardRailOptions, IN_CLUSTER_SERVER } from "./common";
import { credentialsData } from "./database-credentials";
import {
  passwordKeepers,
  parentUrnOf,
  passwordOptions,
  ROTATION_ANNOTATION,
  type PasswordGuard,
} from "./password-guard";
import type { ApplicationWaiter } from "./application-wait";
import { APPLICATION_DELETE_TIMEOUT, type WaitTarget } from "./sync-wait";

/** An application's Application and AppProject name: its own, or on a hub `<clusterName>-<app>`. */
export function argoCdAppName(app: string, clusterName?: string): string {
  return clusterName === undefined ? app : `${clusterName}-${app}`;
}

export interface HostedAppArgs {
  /** The application, as the stack config describes it. */
  readonly app: AppConfig;
  /** Argo CD's namespace, where the AppProject, the Application and the repository Secret live. */
  readonly argocdNamespace: string;
  /**
   * The stack's credential template, when the application's repository takes its credentials from it: the
   * repository Secret waits for it. Defaults to none.
   */
  readonly credentialTemplate?: pulumi.Resource;
  /**
   * What must exist before Argo CD may see the Application: Argo CD itself with the Atlas health checks in
   * argocd-cm, and the operator with its CRDs and permissions. Only the Argo CD objects wait for these; the
   * namespace and credentials are created at once. Defaults to none.
   */
  readonly platform?: pulumi.Resource[];
  /**
   * The Atlas operator's ServiceAccount, when it runs namespaced: this application's namespace then gets the
   * Role and RoleBinding that let the operator act there. Defaults to none (the operator runs cluster-wide).
   */
  readonly operatorAccess?: { readonly namespace: string; readonly serviceAccount: string };
  /** Annotations for the Application beyond the wait, such as notification subscriptions. Defaults to none. */
  readonly annotations?: Record<string, string>;
  /**
   * What waits in `pulumi up` (never in a preview) for Argo CD to run the commit, when the application's wait is on.
   * Defaults to none: nothing waits.
   */
  readonly waiter?: ApplicationWaiter;
  /** The config key of the wait's timeout, for the message that says how to raise it. Defaults to `waitTimeout`. */
  readonly waitTimeoutKey?: string;
  /** The config key of the password's rotation, for the messages that say how to set it. Defaults to `dbPasswordRotation`. */
  readonly rotationKey?: string;
  /**
   * What checks in `pulumi up` (never in a preview), before the credentials Secret is written, that its password
   * changes only on a rotation. Defaults to none: nothing checks.
   */
  readonly passwordGuard?: PasswordGuard;
  /** Protect the namespace, the password and the credentials Secret from `pulumi destroy`. Defaults to false. */
  readonly protect?: boolean;
  /**
   * This stack's cluster is a spoke of another cluster's Argo CD (argocdLocation hub): the AppProject, the
   * Application and the repository Secret go to the hub through its provider, named `<clusterName>-<app>` so two
   * spokes' applications of one name cannot collide, with the spoke's server as their destination; the hub's
   * ServiceAccount gets a Role in this application's namespace. Defaults to none: this cluster's Argo CD.
   */
  readonly spoke?: {
    readonly hubProvider: pulumi.ProviderResource;
    readonly clusterName: string;
    readonly server: string;
    readonly serviceAccount: { readonly namespace: string; readonly name: string };
  };
}

/**
 * The URNs v0.1 gave this application's resources: its single application lived in two components of the
 * platform, DatabaseCredentials "db-credentials" and GitOpsApplication "app".
 */
export const V01_NAMES = {
  namespace: [
    "atlas-gitops:database-credentials:DatabaseCredentials",
    "db-credentials",
    "db-credentials-namespace",
  ],
  password: [
    "atlas-gitops:database-credentials:DatabaseCredentials",
    "db-credentials",
    "db-credentials-password",
  ],
  secret: [
    "atlas-gitops:database-credentials:DatabaseCredentials",
    "db-credentials",
    "db-credentials-secret",
  ],
  project: ["atlas-gitops:application:GitOpsApplication", "app", "app-project"],
  repository: ["atlas-gitops:application:GitOpsApplication", "app", "app-repository"],
  application: ["atlas-gitops:application:GitOpsApplication", "app", "app-application"],
} as const;

export class HostedApp extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly secretName: pulumi.Output<string>;
  public readonly applicationName: pulumi.Output<string>;
  public readonly projectName: pulumi.Output<string>;
  public readonly secret: kx.Secret;
  /**
   * Resolves once the password guard has passed the password (at once without a guard, as in a preview), and
   * rejects with its refusal. A refusal fails the Secret's registration, and the Node SDK then leaves whatever
   * waits for the Secret's URN or outputs waiting for good, and `pulumi up` with it (seen in faults.e2e.ts). So
   * whatever would wait for the Secret (the Application, this component's outputs, the stack's `applications`
   * output) first waits for this, and fails with the refusal instead.
   */
  public readonly passwordChecked: pulumi.Output<boolean>;

  constructor(name: string, args: HostedAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:hosted-app:HostedApp", name, {}, opts);
    const { app } = args;
    const guarded = { parent: this, ...guardRailOptions(args.protect ?? false) };

    // Explicit URN aliases (used verbatim by the engine's step generator, collapseAliasToUrn) to where v0.1 kept
    // these resources, so a stack that moves from the single-application keys replaces nothing.
    const v01 = (role: keyof typeof V01_NAMES, type: string): pulumi.CustomResourceOptions => {
      if (!app.keepsV01Urns || opts?.parent === undefined) return {};
      const [parentType, parentName, childName] = V01_NAMES[role];
      return {
        aliases: [pulumi.createUrn(childName, type, pulumi.createUrn(parentName, parentType, opts.parent))],
      };
    };

    const namespace = componentNamespace(name, app.namespace, {
      ...guarded,
      ...v01("namespace", "kubernetes:core/v1:Namespace"),
    });

    // The password stays the same across updates: it is replaced only when the rotation keeper changes
    // (./password-guard.ts says which other paths are closed, and how).
    const rotation = app.database.passwordRotation;
    const password = new random.RandomPassword(
      `${name}-db-password`,
      { length: 32, special: false, keepers: passwordKeepers(rotation) },
      {
        parent: this,
        ...passwordOptions(rotation, args.protect ?? false),
        ...v01("password", "random:index/randomPassword:RandomPassword"),
      },
    );

    // In `pulumi up`, the Secret is written only once the guard has seen that the password it holds stays, or
    // that a rotation was asked for: a rejected check fails the update before the Secret changes.
    const guard = args.passwordGuard;
    const rotationKey = args.rotationKey ?? "dbPasswordRotation";
    const checked =
      guard === undefined || pulumi.runtime.isDryRun()
        ? password.result
        : pulumi.all([password.result, password.urn]).apply(async ([value, passwordUrn]) => {
            await guard.check(
              {
                app: app.name,
                namespace: app.namespace,
                secretName: app.database.secretName,
                rotation,
                rotationKey,
                stack: pulumi.getStack(),
                passwordUrn,
                // Not this.urn: depending on the component means depending on its children, this Secret included.
                parentUrn: parentUrnOf(passwordUrn, name),
                passwordName: `${name}-db-password`,
              },
              value,
            );
            return value;
          });

    // A boolean with no secret in it: the exports that wait for it stay plain.
    this.passwordChecked =
      checked === password.result ? pulumi.output(true) : pulumi.unsecret(checked.apply(() => true));

    this.secret = new kx.Secret(
      `${name}-db-secret`,
      {
        metadata: {
          name: app.database.secretName,
          namespace: namespace.metadata.name,
          annotations: { [ROTATION_ANNOTATION]: String(rotation) },
        },
        stringData: credentialsData(app.database, pulumi.secret(checked)),
      },
      { ...guarded, dependsOn: [namespace], ...v01("secret", "kubernetes:core/v1:Secret") },
    );

    // The operator's permissions here come and go with the application. They need only the namespace, not the
    // operator's release, so they are in place before Argo CD first applies the AtlasSchema.
    const operatorAccess =
      args.operatorAccess === undefined
        ? []
        : [
            new AtlasOperatorRbac(
              `${name}-operator-access`,
              {
                operatorNamespace: args.operatorAccess.namespace,
                serviceAccount: args.operatorAccess.serviceAccount,
                namespaces: [app.namespace],
              },
              { parent: this, dependsOn: [namespace] },
            ),
          ];

    // On a spoke, the hub's Argo CD may act in this namespace as soon as it exists.
    const spoke = args.spoke;
    const argocdAccess =
      spoke === undefined
        ? []
        : [
            new SpokeNamespaceAccess(
              `${name}-argocd-access`,
              { namespace: app.namespace, serviceAccount: spoke.serviceAccount },
              { parent: this, dependsOn: [namespace] },
            ),
          ];
    // The Argo CD objects' cluster: this one, or the hub.
    const inArgoCd = spoke === undefined ? {} : { provider: spoke.hubProvider };
    const argocdName = argoCdAppName(app.name, spoke?.clusterName);
    const server = spoke?.server ?? IN_CLUSTER_SERVER;

    const platform = [...(args.platform ?? []), ...operatorAccess, ...argocdAccess];
    const settings = {
      name: argocdName,
      argocdNamespace: args.argocdNamespace,
      namespace: app.namespace,
      source: app.source,
      automated: app.sync.automated,
      prune: app.sync.prune,
      selfHeal: app.sync.selfHeal,
      cascadeDelete: app.cascadeDelete,
      ...(spoke === undefined ? {} : { server }),
    };
    const project = new k8s.apiextensions.CustomResource(`${name}-project`, appProjectManifest(settings), {
      parent: this,
      ...inArgoCd,
      dependsOn: platform,
      ...v01("project", "kubernetes:argoproj.io/v1alpha1:AppProject"),
    });

    // A private repository gets a Secret scoped to this application's project: with credentials of its own, or
    // with none, so that Argo CD takes the stack's template's. A public one gets none.
    const access = app.repoAccess;
    let repository: kx.Secret | undefined;
    if (access.from !== "none") {
      const template = access.from === "template" && args.credentialTemplate ? [args.credentialTemplate] : [];
      repository = new kx.Secret(
        `${name}-repository`,
        {
          metadata: {
            name: `${argocdName}-repository`,
            namespace: args.argocdNamespace,
            labels: { [REPOSITORY_SECRET_LABEL]: "repository" },
          },
          stringData: repositorySecretData(app.source.repoURL, argocdName, access),
        },
        {
          parent: this,
          ...inArgoCd,
          dependsOn: [...platform, ...template],
          ...v01("repository", "kubernetes:core/v1:Secret"),
        },
      );
    }

    const application = new k8s.apiextensions.CustomResource(
      `${name}-application`,
      applicationManifest({ ...settings, annotations: args.annotations }),
      {
        parent: this,
        ...inArgoCd,
        // The first sync needs the project, the repository credentials and the database Secret in place. The
        // password check comes first: dependencies are awaited in order, so a refusal fails this registration
        // before it waits for the Secret's, which the refusal failed and which would never end.
        dependsOn: [
          this.passwordChecked.apply((): pulumi.Resource[] => []),
          ...platform,
          project,
          this.secret,
          ...(repository ? [repository] : []),
        ] as pulumi.Input<pulumi.Resource>[],
        customTimeouts: { delete: APPLICATION_DELETE_TIMEOUT },
        ...v01("application", "kubernetes:argoproj.io/v1alpha1:Application"),
      },
    );

    // The wait runs in this process, as an Output registered below, so the update ends only when it resolves and
    // fails with its message (components/application-wait.ts says why not a provider await). After the
    // Application is created or updated, on every `pulumi up`, also when nothing changed (a pushed commit).
    const waiter = args.waiter;
    const synced =
      waiter !== undefined && app.wait.enabled && !pulumi.runtime.isDryRun()
        ? pulumi.all([application.id, application.metadata.name]).apply(([, applicationName]) => {
            const target: WaitTarget = {
              namespace: args.argocdNamespace,
              name: applicationName,
              source: app.source,
              destination: { server, namespace: app.namespace },
              timeoutSeconds: app.wait.timeoutSeconds,
              stack: pulumi.getStack(),
              timeoutKey: args.waitTimeoutKey ?? "waitTimeout",
            };
            return waiter.wait(target, (message) => pulumi.log.info(message, application));
          })
        : undefined;

    this.namespace = namespace.metadata.name;
    this.secretName = this.secret.metadata.name;
    this.applicationName = application.metadata.name;
    this.projectName = project.metadata.name;
    this.registerOutputs({
      // First: outputs are read in order, and after a refusal the Secret's name would never come.
      passwordChecked: this.passwordChecked,
      namespace: this.namespace,
      secretName: this.secretName,
      applicationName: this.applicationName,
      projectName: this.projectName,
      ...(synced ? { synced } : {}),
    });
  }
}
