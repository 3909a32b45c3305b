/** The data of an application's database credentials Secret, which its manifests reference. Pure functions. */
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseConfig, DatabaseEngine } from "../stacks/types";

/** The keys of the credentials Secret; manifests reference them with secretKeyRef / urlFrom.secretKeyRef. */
export const CREDENTIAL_KEYS = ["username", "password", "host", "port", "database", "url"] as const;

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

/** The Secret's data: connection details in plain, the password and the URL that embeds it marked secret. */
export function credentialsData(
  db: DatabaseConfig,
  password: pulumi.Output<string>,
): Record<(typeof CREDENTIAL_KEYS)[number], pulumi.Input<string>> {
  const url = password.apply((p) =>
    databaseUrl({
      engine: db.engine,
      user: db.user,
      password: p,
      host: db.host,
      port: db.port,
      database: db.name,
    }),
  );
  return {
    username: db.user,
    password: pulumi.secret(password),
    host: db.host,
    port: String(db.port),
    database: db.name,
    url: pulumi.secret(url),
  };
}
