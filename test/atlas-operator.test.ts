import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { find, isSecret, optionsRecorder, registered, resolve, TYPES } from "./support/mocks";
import { AtlasOperator, atlasOperatorValues } from "../components/atlas-operator";

describe("AtlasOperator", () => {
  it("sets prewarmDevDB and no extra environment without a token", () => {
    assert.deepStrictEqual(atlasOperatorValues({ prewarmDevDB: false }), {
      prewarmDevDB: false,
      extraEnvs: [],
    });
  });

  describe("with an Atlas token", () => {
    const recorder = optionsRecorder();
    let operator: AtlasOperator;
    before(() => {
      operator = new AtlasOperator(
        "atlas",
        {
          namespace: "atlas-system",
          prewarmDevDB: false,
          atlasToken: pulumi.secret("aci_token"),
          watchNamespaces: ["shop", "billing"],
        },
        { transformations: [recorder.transformation] },
      );
    });

    it("pins the OCI chart to the default version as release atlas-operator", async () => {
      const release = await find(TYPES.release, "atlas-release");
      assert.strictEqual(release.inputs.chart, "oci://ghcr.io/ariga/charts/atlas-operator");
      assert.strictEqual(release.inputs.version, "0.7.37");
      assert.strictEqual(release.inputs.name, "atlas-operator");
      assert.strictEqual(release.inputs.namespace, "atlas-system");
      assert.strictEqual(release.inputs.repositoryOpts, undefined);
    });

    it("keeps the token in a kubernetesx Secret, marked secret", async () => {
      const secret = await find(TYPES.secret, "atlas-token");
      assert.deepStrictEqual(secret.inputs.metadata, { name: "atlas-token", namespace: "atlas-system" });
      assert.deepStrictEqual(secret.inputs.stringData, { ATLAS_TOKEN: "aci_token" });
      assert.ok(operator.tokenSecret);
      assert.strictEqual(await isSecret(operator.tokenSecret.stringData), true);
    });

    it("passes the token to the operator as ATLAS_TOKEN by secretKeyRef, never by value", async () => {
      const values = (await find(TYPES.release, "atlas-release")).inputs.values;
      assert.deepStrictEqual(values.extraEnvs, [
        { name: "ATLAS_TOKEN", valueFrom: { secretKeyRef: { name: "atlas-token", key: "ATLAS_TOKEN" } } },
      ]);
      assert.ok(!JSON.stringify(values).includes("aci_token"));
    });

    it("watches only the applications' namespaces, with the chart's ClusterRole off and its CRDs kept", async () => {
      const values = (await find(TYPES.release, "atlas-release")).inputs.values;
      assert.deepStrictEqual(values, {
        prewarmDevDB: false,
        extraEnvs: values.extraEnvs,
        crds: { create: true },
        serviceAccount: { create: true },
        rbac: { create: false },
        watchNamespaces: ["billing", "shop"],
      });
      assert.strictEqual(operator.serviceAccountName, "atlas-operator");
    });

    it("installs the release after the token Secret", () => {
      const dependsOn = recorder.options.get("atlas-release")?.dependsOn as pulumi.Resource[];
      assert.ok(dependsOn.includes(operator.tokenSecret as pulumi.Resource));
    });

    it("exposes its namespace", async () => {
      assert.strictEqual(await resolve(operator.namespace), "atlas-system");
    });
  });

  describe("cluster-wide, without a token", () => {
    before(() => {
      new AtlasOperator("plain", { namespace: "atlas-plain", watchNamespaces: [], clusterWide: true });
    });

    it("creates no token Secret", async () => {
      const names = (await registered()).filter((r) => r.type === TYPES.secret).map((r) => r.name);
      assert.ok(!names.includes("plain-token"));
      const values = (await find(TYPES.release, "plain-release")).inputs.values;
      assert.deepStrictEqual(values, {
        prewarmDevDB: true,
        extraEnvs: [],
        crds: { create: true },
        serviceAccount: { create: true },
        rbac: { create: true },
        watchNamespaces: [],
      });
    });
  });
});
