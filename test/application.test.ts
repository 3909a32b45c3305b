import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import {
  ApplicationSettings,
  applicationManifest,
  appProjectManifest,
  repositorySecretData,
} from "../components/application";

const settings: ApplicationSettings = {
  name: "shop",
  argocdNamespace: "argocd",
  namespace: "shop",
  source: { repoURL: "https://github.com/org/manifests", targetRevision: "v1.2.0", path: "overlays/prod" },
};

describe("Argo CD documents of an application", () => {
  describe("applicationManifest", () => {
    it("tracks the configured source and deploys into the stack's namespace through its own project", () => {
      assert.deepStrictEqual(applicationManifest(settings), {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: {
          name: "shop",
          namespace: "argocd",
          finalizers: ["resources-finalizer.argocd.argoproj.io"],
        },
        spec: {
          project: "shop",
          source: {
            repoURL: "https://github.com/org/manifests",
            targetRevision: "v1.2.0",
            path: "overlays/prod",
          },
          destination: { server: "https://kubernetes.default.svc", namespace: "shop" },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            retry: { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } },
            syncOptions: ["CreateNamespace=true"],
          },
        },
      });
    });

    it("passes Argo CD's Application CRD schema", () => {
      new Application(applicationManifest(settings)).validate();
      new Application(
        applicationManifest({ ...settings, automated: false, cascadeDelete: false }),
      ).validate();
    });

    it("leaves the finalizers out when cascadeDelete is off, rather than sending a list the API server drops", () => {
      assert.ok(
        !("finalizers" in (applicationManifest({ ...settings, cascadeDelete: false }).metadata ?? {})),
      );
    });

    it("syncs by hand only when automated sync is off", () => {
      const policy = applicationManifest({ ...settings, automated: false, prune: true }).spec.syncPolicy;
      assert.strictEqual(policy?.automated, undefined);
      assert.deepStrictEqual(policy?.syncOptions, ["CreateNamespace=true"]);
    });

    it("carries the given annotations, and none when there are none", () => {
      assert.deepStrictEqual(
        applicationManifest({ ...settings, annotations: { "pulumi.com/timeoutSeconds": "60" } }).metadata
          ?.annotations,
        { "pulumi.com/timeoutSeconds": "60" },
      );
      assert.ok(!("annotations" in (applicationManifest({ ...settings, annotations: {} }).metadata ?? {})));
    });

    it("switches prune and self-heal independently", () => {
      const policy = applicationManifest({ ...settings, prune: false, selfHeal: true }).spec.syncPolicy;
      assert.deepStrictEqual(policy?.automated, { prune: false, selfHeal: true });
    });
  });

  describe("appProjectManifest", () => {
    const project = appProjectManifest(settings);

    it("allows only the configured repository, namespace and the Namespace kind", () => {
      assert.deepStrictEqual(project, {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AppProject",
        metadata: { name: "shop", namespace: "argocd" },
        spec: {
          description: "Deploys https://github.com/org/manifests into namespace shop",
          sourceRepos: ["https://github.com/org/manifests"],
          destinations: [{ server: "https://kubernetes.default.svc", namespace: "shop" }],
          clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
        },
      });
    });

    it("passes Argo CD's AppProject CRD schema", () => {
      new AppProject(project).validate();
    });

    it("is the project the Application names", () => {
      assert.strictEqual(applicationManifest(settings).spec.project, project.metadata?.name);
    });
  });

  describe("repositorySecretData", () => {
    it("scopes HTTPS credentials to the repoURL and the stack's project", () => {
      const token = pulumi.secret("t");
      assert.deepStrictEqual(
        repositorySecretData("https://h/r", "shop", { kind: "https", username: "bot", token }),
        { type: "git", url: "https://h/r", project: "shop", username: "bot", password: token },
      );
    });

    it("scopes an SSH key to the repoURL and the stack's project", () => {
      const sshPrivateKey = pulumi.secret("k");
      assert.deepStrictEqual(repositorySecretData("git@h:r", "shop", { kind: "ssh", sshPrivateKey }), {
        type: "git",
        url: "git@h:r",
        project: "shop",
        sshPrivateKey,
      });
    });
  });
});
