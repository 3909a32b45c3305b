import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import {
  ARGOCD_API_VERSION,
  ApplicationSettings,
  applicationManifest,
  appProjectManifest,
  credentialTemplateData,
  repositorySecretData,
} from "../components/application";
import { readSchema, schemaErrors } from "./support/manifests";
import { REPO_ROOT } from "./support/stack-files";

/**
 * Argo CD v3.4.4's own schemas for its kinds, generated from the CRDs it ships (manifests/crds/application-crd.yaml
 * and appproject-crd.yaml at tag v3.4.4; examples/manifests/README.md tells how), strict: an unknown field fails.
 * They check spec (and status) against the version this program installs; their `metadata` is only `type: object`,
 * so the @kubernetes-models 2.7.2 validation stays for ObjectMeta (names, finalizers, annotations).
 */
const V344 = {
  application: readSchema(ARGOCD_API_VERSION, "Application"),
  appProject: readSchema(ARGOCD_API_VERSION, "AppProject"),
};

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
            retry: { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" }, refresh: true },
            syncOptions: ["CreateNamespace=true"],
          },
        },
      });
    });

    const variants: [string, ApplicationSettings][] = [
      ["the defaults", settings],
      ["manual sync, no cascade deletion", { ...settings, automated: false, cascadeDelete: false }],
      [
        "annotations, no prune",
        {
          ...settings,
          prune: false,
          cascadeDelete: false,
          annotations: { "pulumi.com/waitFor": "jsonpath={.status.sync.status}=Synced", "x/y": "" },
        },
      ],
    ];

    it("passes Argo CD v3.4.4's Application schema, and ObjectMeta's, with and without cascade deletion", () => {
      for (const [what, s] of variants) {
        const manifest = applicationManifest(s);
        assert.deepStrictEqual(schemaErrors(V344.application, manifest), [], what);
        new Application(manifest).validate();
      }
    });

    it("would fail the v3.4.4 schema with a field Argo CD does not know (the check can fail)", () => {
      const manifest = applicationManifest(settings);
      const wrong = { ...manifest, spec: { ...manifest.spec, syncPolicy: { automated: { prunee: true } } } };
      assert.deepStrictEqual(schemaErrors(V344.application, wrong), [
        "$.spec.syncPolicy.automated: field 'prunee' is not allowed",
      ]);
      const noProject = { ...manifest, spec: { ...manifest.spec, project: undefined } };
      assert.deepStrictEqual(schemaErrors(V344.application, JSON.parse(JSON.stringify(noProject))), [
        "$.spec: required field 'project' is missing",
      ]);
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
          clusterResourceWhitelist: [{ group: "", kind: "Namespace", name: "shop" }],
        },
      });
    });

    it("lets the manifests create or relabel only the application's own namespace", () => {
      const other = appProjectManifest({ ...settings, namespace: "billing" });
      assert.deepStrictEqual(other.spec.clusterResourceWhitelist, [
        { group: "", kind: "Namespace", name: "billing" },
      ]);
    });

    // Argo CD v3.4.4's CRD as released (manifests/crds/appproject-crd.yaml), read from the reference copies beside
    // the repository (ARGOCD_CRDS_DIR elsewhere): every field of the whitelist entry must be one the API server
    // keeps, or Argo CD would see an entry without `name` and allow every Namespace.
    it("limits the Namespace by a field Argo CD v3.4.4's AppProject CRD keeps", function () {
      const dir =
        process.env.ARGOCD_CRDS_DIR ??
        path.join(REPO_ROOT, "..", "shared", "reference", "argo-cd-v3.4.4-crds");
      const file = path.join(dir, "appproject-crd.yaml");
      if (!fs.existsSync(file)) this.skip();
      const crd = parse(fs.readFileSync(file, "utf8"));
      const version = crd.spec.versions.find((v: { name: string }) => v.name === "v1alpha1");
      const schema = version.schema.openAPIV3Schema;
      const entry = schema.properties.spec.properties.clusterResourceWhitelist.items;
      assert.deepStrictEqual(schemaErrors(schema, project), []);
      for (const item of project.spec.clusterResourceWhitelist ?? []) {
        assert.deepStrictEqual(
          Object.keys(item).filter((k) => !(k in entry.properties)),
          [],
          "fields the API server would prune",
        );
        assert.strictEqual(item.name, "shop");
      }
    });

    it("passes Argo CD v3.4.4's AppProject schema, and ObjectMeta's", () => {
      assert.deepStrictEqual(schemaErrors(V344.appProject, project), []);
      new AppProject(project).validate();
    });

    // The description embeds the repoURL, which the stack config accepts at any length, while v3.4.4 caps it at
    // 255 characters (pkg/apis/application/v1alpha1/types.go AppProjectSpec Description,
    // +kubebuilder:validation:MaxLength=255); @kubernetes-models 2.7.2 does not know the cap.
    it("keeps the description within v3.4.4's 255-character cap for any repoURL the config accepts", () => {
      const repoURL = `https://git.example.com/${"team/".repeat(40)}manifests`;
      const long = appProjectManifest({ ...settings, source: { ...settings.source, repoURL } });
      assert.deepStrictEqual(schemaErrors(V344.appProject, long), []);
      assert.strictEqual(long.spec?.description?.length, 255);
      assert.match(
        long.spec?.description ?? "",
        /^Deploys https:\/\/git\.example\.com\/team\/.*\.\.\. into namespace shop$/,
      );
    });

    it("is the project the Application names", () => {
      assert.strictEqual(applicationManifest(settings).spec.project, project.metadata?.name);
    });
  });

  describe("repositorySecretData", () => {
    it("scopes an application's own HTTPS credentials to its repoURL and project", () => {
      const token = pulumi.secret("t");
      const own = { kind: "https", username: "bot", token } as const;
      assert.deepStrictEqual(repositorySecretData("https://h/r", "shop", { from: "own", credentials: own }), {
        type: "git",
        url: "https://h/r",
        project: "shop",
        username: "bot",
        password: token,
      });
    });

    it("scopes an application's own SSH key to its repoURL and project", () => {
      const sshPrivateKey = pulumi.secret("k");
      const own = { kind: "ssh", sshPrivateKey } as const;
      assert.deepStrictEqual(repositorySecretData("git@h:r", "shop", { from: "own", credentials: own }), {
        type: "git",
        url: "git@h:r",
        project: "shop",
        sshPrivateKey,
      });
    });

    it("holds no credentials for a repository the stack's template reaches, so Argo CD takes the template's", () => {
      assert.deepStrictEqual(repositorySecretData("https://h/org/r", "shop", { from: "template" }), {
        type: "git",
        url: "https://h/org/r",
        project: "shop",
      });
    });
  });

  describe("credentialTemplateData", () => {
    it("gives the credentials to the URL prefix, with no project", () => {
      const token = pulumi.secret("t");
      assert.deepStrictEqual(
        credentialTemplateData("https://github.com/org/", { kind: "https", username: "bot", token }),
        { type: "git", url: "https://github.com/org/", username: "bot", password: token },
      );
    });
  });
});
