import * as assert from "assert";
import { find, isSecret, MOCK_BCRYPT_HASH, optionsRecorder, resolve, TYPES } from "./support/mocks";
import { ADMIN_PASSWORD_MTIME, ArgoCd, argoCdValues } from "../components/argocd";

describe("ArgoCd", () => {
  describe("argoCdValues", () => {
    const values = argoCdValues({
      cmEntries: { "resource.customizations.health.db.atlasgo.io_AtlasSchema": "return {}" },
      adminEnabled: false,
      adminPasswordHash: "$2a$10$hash",
    }) as {
      crds: unknown;
      configs: {
        cm: Record<string, unknown>;
        params: Record<string, unknown>;
        secret: Record<string, unknown>;
      };
    };

    it("keeps Argo CD's CRDs when the chart is uninstalled", () => {
      assert.deepStrictEqual(values.crds, { keep: true });
    });

    it("puts the extra entries and the admin switch into argocd-cm through configs.cm", () => {
      assert.deepStrictEqual(values.configs.cm, {
        "admin.enabled": false,
        "resource.customizations.health.db.atlasgo.io_AtlasSchema": "return {}",
      });
    });

    it("persists each resource's health in the Application, which Argo CD v3 leaves out by default", () => {
      // argo-cd chart 10.1.1 templates/argocd-configs/argocd-cmd-params-cm.yaml writes configs.params into
      // argocd-cmd-params-cm; the application controller reads this key as --persist-resource-health.
      assert.deepStrictEqual(values.configs.params, { "controller.resource.health.persist": true });
    });

    it("hands the admin password to the chart as a secret bcrypt hash with a pinned mtime", async () => {
      const secret = values.configs.secret;
      assert.deepStrictEqual(Object.keys(secret).sort(), [
        "argocdServerAdminPassword",
        "argocdServerAdminPasswordMtime",
      ]);
      assert.strictEqual(await resolve(secret.argocdServerAdminPassword as string), "$2a$10$hash");
      assert.strictEqual(await isSecret(secret.argocdServerAdminPassword), true);
      assert.strictEqual(secret.argocdServerAdminPasswordMtime, ADMIN_PASSWORD_MTIME);
    });
  });

  describe("component", () => {
    const recorder = optionsRecorder();
    let argocd: ArgoCd;
    before(() => {
      argocd = new ArgoCd(
        "cd",
        {
          namespace: "gitops",
          chartVersion: "10.1.0",
          cmEntries: { "x.y": "z" },
          protect: true,
          values: { server: { replicas: 2 }, configs: { cm: { "exec.enabled": true } } },
        },
        { transformations: [recorder.transformation] },
      );
    });

    it("creates its namespace", async () => {
      const ns = await find(TYPES.namespace, "cd-namespace");
      assert.deepStrictEqual(ns.inputs.metadata, { name: "gitops" });
    });

    it("pins the argo-cd chart from argo-helm to the configured version, as release argocd", async () => {
      const release = await find(TYPES.release, "cd-release");
      assert.strictEqual(release.inputs.chart, "argo-cd");
      assert.strictEqual(release.inputs.version, "10.1.0");
      assert.deepStrictEqual(release.inputs.repositoryOpts, { repo: "https://argoproj.github.io/argo-helm" });
      assert.strictEqual(release.inputs.name, "argocd");
      assert.strictEqual(release.inputs.namespace, "gitops");
      assert.strictEqual(release.inputs.createNamespace, false);
    });

    it("sets exactly the values keys this project owns, with the escape hatch merged last", async () => {
      const values = (await find(TYPES.release, "cd-release")).inputs.values;
      assert.deepStrictEqual(Object.keys(values).sort(), ["configs", "crds", "server"]);
      assert.deepStrictEqual(values.configs.cm, { "admin.enabled": true, "x.y": "z", "exec.enabled": true });
      assert.strictEqual(values.configs.secret.argocdServerAdminPassword, MOCK_BCRYPT_HASH);
      assert.deepStrictEqual(values.server, { replicas: 2 });
    });

    it("generates an admin password without special characters and exposes it only as a secret", async () => {
      const password = await find(TYPES.password, "cd-admin-password");
      assert.deepStrictEqual(password.inputs, { length: 32, special: false });
      assert.strictEqual(await isSecret(argocd.adminPassword), true);
    });

    it("protects the namespace and the release when asked, but not the password", () => {
      assert.strictEqual(recorder.options.get("cd-namespace")?.protect, true);
      assert.strictEqual(recorder.options.get("cd-release")?.protect, true);
      assert.notStrictEqual(recorder.options.get("cd-admin-password")?.protect, true);
    });

    it("installs the release only after its namespace exists", () => {
      const dependsOn = recorder.options.get("cd-release")?.dependsOn as unknown[];
      assert.strictEqual(dependsOn.length, 1);
    });
  });
});
