/** The application's namespace and a generated database password, stored in a Secret the manifests reference. */
import * as kx from "@pulumi/kubernetesx";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DatabaseEngine } from "../stacks/config";
import { componentNamespace, guardRailOptions } from "./common";

/** The keys of the credentials Secret; manifests reference them with secretKeyRef / urlFrom.secretKeyRef. */
export const CREDENTIAL_KEYS = ["username", "password", "host", "port", "database", "url"] as const;

export interface DatabaseCredentialsArgs {
  /** The application namespace; created by this component, since the Secret must exist before the first sync. */
  readonly namespace: string;
  /** Name of the Secret; the manifests reference it by this name. */
  readonly secretName: string;
  readonly engine: DatabaseEngine;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Bump to generate a new password; any other value keeps the current one. Defaults to 0. */
  readonly passwordRotation?: number;
  /** Protect the namespace and Secret from `pulumi destroy`. Defaults to false. */
  readonly protect?: boolean;
}

/** The database URL in the form the Atlas operator reads from `url`. */
export function databaseUrl(input: {
  readonly engine: DatabaseEngine;
  readonly user: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
}): string {
  const auth = `${encodeURIComponent(input.user)}:${encodeURIComponent(input.password)}`;
  const address = `${input.host}:${input.port}/${encodeURIComponent(input.database)}`;
  // An in-cluster PostgreSQL usually has no TLS; Atlas's postgres driver requires it unless told otherwise.
  return input.engine === "postgres"
    ? `postgres://${auth}@${address}?sslmode=disable`
    : `mysql://${auth}@${address}`;
}

export class DatabaseCredentials extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly secretName: pulumi.Output<string>;
  public readonly secret: kx.Secret;

  constructor(name: string, args: DatabaseCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:database-credentials:DatabaseCredentials", name, {}, opts);
    const guarded = { parent: this, ...guardRailOptions(args.protect ?? false) };

    const namespace = componentNamespace(name, args.namespace, guarded);

    // The password stays the same across updates: the keeper changes only when rotation is asked for.
    const password = new random.RandomPassword(
      `${name}-password`,
      { length: 32, special: false, keepers: { rotation: String(args.passwordRotation ?? 0) } },
      { parent: this },
    );

    const url = password.result.apply((p) => databaseUrl({ ...args, password: p }));
    this.secret = new kx.Secret(
      `${name}-secret`,
      {
        metadata: { name: args.secretName, namespace: namespace.metadata.name },
        stringData: {
          username: args.user,
          password: pulumi.secret(password.result),
          host: args.host,
          port: String(args.port),
          database: args.database,
          url: pulumi.secret(url),
        },
      },
      { ...guarded, dependsOn: [namespace] },
    );

    this.namespace = namespace.metadata.name;
    this.secretName = this.secret.metadata.name;
    this.registerOutputs({ namespace: this.namespace, secretName: this.secretName });
  }
}
