import * as assert from "assert";
import { chartSource } from "../components/common";
import { parseStackConfig } from "../stacks/config";
import { configProblems } from "./support/config-problems";

const REPO = "https://github.com/org/manifests";

describe("chart repositories", () => {
  describe("chartSource", () => {
    it("names the chart and gives a classic repository in repositoryOpts", () => {
      assert.deepStrictEqual(chartSource("https://charts.example.com/argo/", "argo-cd"), {
        chart: "argo-cd",
        repositoryOpts: { repo: "https://charts.example.com/argo" },
      });
    });

    it("makes an OCI reference of registry path and chart, with no repositoryOpts", () => {
      assert.deepStrictEqual(chartSource("oci://registry.example.com/charts", "atlas-operator"), {
        chart: "oci://registry.example.com/charts/atlas-operator",
      });
    });
  });

  describe("stack config", () => {
    it("defaults to the charts' public homes", () => {
      const c = parseStackConfig({ repoURL: REPO }, "dev");
      assert.strictEqual(c.argocd.chartRepository, "https://argoproj.github.io/argo-helm");
      assert.strictEqual(c.atlas.chartRepository, "oci://ghcr.io/ariga/charts");
      // The default atlas-operator reference is exactly the one every earlier version installed, so moving to
      // the key changes no input of the release.
      assert.deepStrictEqual(chartSource(c.atlas.chartRepository, "atlas-operator"), {
        chart: "oci://ghcr.io/ariga/charts/atlas-operator",
      });
    });

    for (const url of [
      "https://charts.example.com/argo",
      "oci://registry.example.com/mirror/charts",
      "http://127.0.0.1:8879",
      "http://localhost:8879/charts/",
      "http://[::1]:8879",
    ]) {
      it(`accepts the mirror ${url}`, () => {
        const c = parseStackConfig(
          { repoURL: REPO, argocdChartRepository: url, atlasOperatorChartRepository: url },
          "dev",
        );
        assert.strictEqual(c.argocd.chartRepository, url.replace(/\/$/, ""));
        assert.strictEqual(c.atlas.chartRepository, url.replace(/\/$/, ""));
      });
    }

    const rejected: { value: string; why: RegExp; shown?: string }[] = [
      { value: "charts.example.com", why: /expected an https:\/\/ or oci:\/\/ Helm repository URL/ },
      { value: "ftp://charts.example.com", why: /expected an https:\/\/ or oci:\/\// },
      { value: "http://charts.example.com", why: /plain http:\/\/ is allowed only on this machine/ },
      { value: "http://10.0.0.5:8080", why: /plain http:\/\/ is allowed only on this machine/ },
      { value: "https://charts.example.com/?token=abc", why: /without a query or fragment/ },
      {
        value: "https://ci:s3cr3t@charts.example.com/argo",
        why: /no user name or password in the URL/,
        shown: "'https://***@charts.example.com/argo'",
      },
    ];
    for (const key of ["argocdChartRepository", "atlasOperatorChartRepository"] as const) {
      for (const c of rejected) {
        it(`rejects ${key} '${c.value}' before any resource, with a command that fixes it`, () => {
          const [problem, ...rest] = configProblems({ repoURL: REPO, [key]: c.value }, "prod");
          assert.deepStrictEqual(rest, []);
          assert.match(problem, new RegExp(`^Config 'atlas-gitops:${key}' is `));
          assert.match(problem, c.why);
          assert.match(problem, new RegExp(`Set it with: pulumi config set --stack prod ${key} \\S+$`));
          if (c.shown !== undefined) {
            assert.ok(problem.includes(c.shown), problem);
            assert.ok(!problem.includes("s3cr3t"), "the password must not be shown");
          }
        });
      }
    }
  });
});
