/**
 * The stack's repository credentials as one Argo CD credential template (a Secret labelled
 * `argocd.argoproj.io/secret-type: repo-creds`): Argo CD gives them only to repositories under the template's URL
 * prefix, the host and owner of the stack's repoURL, and only to those without credentials of their own.
 */
import * as kx from "@pulumi/kubernetesx";
import * as pulumi from "@pulumi/pulumi";
import type { RepoCredentialTemplate } from "../stacks/types";
import {
  credentialTemplateData,
  CREDENTIAL_TEMPLATE_LABEL_VALUE,
  REPOSITORY_SECRET_LABEL,
} from "./application";

export interface RepositoryCredentialsArgs {
  /** The credentials and the URL prefix they are for. */
  readonly template: RepoCredentialTemplate;
  /** Argo CD's namespace, where Argo CD looks for credential templates. */
  readonly argocdNamespace: pulumi.Input<string>;
}

export class RepositoryCredentials extends pulumi.ComponentResource {
  /** The Secret Argo CD reads the credentials from. */
  public readonly secret: kx.Secret;

  constructor(name: string, args: RepositoryCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas-gitops:repository-credentials:RepositoryCredentials", name, {}, opts);
    // No metadata.name: Argo CD finds templates by label, and an auto-name lets a new prefix be created before the
    // old template is deleted.
    this.secret = new kx.Secret(
      `${name}-template`,
      {
        metadata: {
          namespace: args.argocdNamespace,
          labels: { [REPOSITORY_SECRET_LABEL]: CREDENTIAL_TEMPLATE_LABEL_VALUE },
        },
        stringData: credentialTemplateData(args.template.urlPrefix, args.template.credentials),
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
