/**
 * What the argo-cd chart 10.1.1 makes of the values this program hands its release: the chart model
 * (test/support/argo-cd-chart.ts, written from the chart's templates) run on the release's `values` input, as the
 * whole program registers it for a stack under the shared mocks.
 */
import * as assert from "assert";
import { mark, registeredSince, resolve, TYPES, useMocks } from "./support/mocks";
import { configSet } from "./support/pulumi-cli";
import { stackRun, StackRun, TEMPLATE_STACKS } from "./support/stack-files";
import {
  CHART_DEFAULTS,
  coalesce,
  renderArgoCd,
  renderArgocdCm,
  renderArgocdSecret,
  renderCmdParamsCm,
  renderNotifications,
  toGoString,
  Values,
} from "./support/argo-cd-chart";
import { parseStackConfig } from "../stacks/config";
import { AtlasGitOps } from "../components/platform";
import { mergeValues } from "../components/common";
import { ADMIN_PASSWORD_MTIME } from "../components/argocd";
import { atlasHealthChecks } from "../components/health-checks";
import { NOTIFICATIONS_SECRET_NAME } from "../components/notifications";
import { MOCK_BCRYPT_HASH } from "./support/mocks";

const CONTROLLER = "StatefulSet/argocd-application-controller";
const SERVER = "Deployment/argocd-server";
const SCHEMA_KEY = "resource.customizations.health.db.atlasgo.io_AtlasSchema";
const MIGRATION_KEY = "resource.customizations.health.db.atlasgo.io_AtlasMigration";

/** The argo-cd release's `values` input when the whole program runs for a stack (secrets unwrapped by the mock). */
async function releaseValues(stack: string, run: StackRun = stackRun(stack)): Promise<Values> {
  useMocks(stack, run.config, run.secretKeys);
  const start = mark();
  const config = parseStackConfig(run.config, stack, new Set(run.secretKeys));
  const platform = new AtlasGitOps("atlas-gitops", config);
  await resolve(platform.urn);
  const releases = (await registeredSince(start)).filter(
    (r) => r.type === TYPES.release && r.name === "argocd-release",
  );
  assert.strictEqual(releases.length, 1);
  return releases[0].inputs.values as Values;
}

const withConfig = (stack: string, settings: [string, string, object][]) =>
  stackRun(stack, (f) => settings.reduce((file, [k, v, o]) => configSet(file, k, v, o), f));

/** global.domain in the chart's values.yaml (line 46), which the program leaves alone without an Ingress. */
const CHART_DEFAULTS_DOMAIN = "argocd.example.com";
const HOST = "cd.shop.example.org";
const GITHUB = "github-webhook-secret-value";

describe("the argo-cd chart 10.1.1 with the program's values (a model of its templates)", () => {
  for (const stack of TEMPLATE_STACKS) {
    describe(`${stack}, as the template ships it`, () => {
      let values: Values;
      let rendered: ReturnType<typeof renderArgoCd>;
      before(async () => {
        values = await releaseValues(stack);
        rendered = renderArgoCd(values);
      });

      it("writes both Atlas health checks into argocd-cm under the keys Argo CD looks up, text unchanged", () => {
        const scripts = atlasHealthChecks();
        assert.deepStrictEqual(Object.keys(scripts).sort(), [MIGRATION_KEY, SCHEMA_KEY]);
        assert.strictEqual(rendered.cm?.data[SCHEMA_KEY], scripts[SCHEMA_KEY]);
        assert.strictEqual(rendered.cm?.data[MIGRATION_KEY], scripts[MIGRATION_KEY]);
        assert.match(rendered.cm!.data[SCHEMA_KEY], /\n/, "the scripts are multi-line documents");
      });

      it("turns admin.enabled into the string argocd-cm holds, and polls at the configured interval", () => {
        assert.strictEqual(rendered.cm?.data["admin.enabled"], "true");
        assert.strictEqual(rendered.cm?.data["timeout.reconciliation"], "120s");
        assert.strictEqual(rendered.env(CONTROLLER, "ARGOCD_RECONCILIATION_TIMEOUT"), "120s");
      });

      it('persists resource health: argocd-cmd-params-cm says "true" and the controller\'s env reads it', () => {
        assert.strictEqual(rendered.params?.data["controller.resource.health.persist"], "true");
        assert.strictEqual(
          rendered.env(CONTROLLER, "ARGOCD_APPLICATION_CONTROLLER_PERSIST_RESOURCE_HEALTH"),
          "true",
        );
      });

      it("stores the bcrypt hash in argocd-secret with the pinned mtime, the same on every render", () => {
        const early = renderArgocdSecret(values, new Date("2026-01-01T00:00:00Z"));
        const late = renderArgocdSecret(values, new Date("2026-06-30T12:34:56Z"));
        assert.strictEqual(early?.data?.["admin.password"], MOCK_BCRYPT_HASH);
        assert.strictEqual(early?.data?.["admin.passwordMtime"], ADMIN_PASSWORD_MTIME);
        assert.deepStrictEqual(late, early);
        assert.ok(!Object.keys(early?.data ?? {}).some((k) => k.startsWith("webhook.")));
      });

      it("leaves argocd-notifications-secret to the program: the chart renders none", () => {
        assert.strictEqual(rendered.notifications.secret, undefined);
        assert.ok(rendered.notifications.cm, "argocd-notifications-cm is still the chart's");
      });

      // argo-cd v3.4.4 server/logout/logout.go NewHandler.ServeHTTP → util/settings/settings.go ArgoURLForRequest:
      // a request whose host is not url's (a port-forward) is sent to url itself on logout. The program does not
      // clear it without an Ingress: this asserts the chart's rendering as it stands (see the chart-models report).
      it("has no Ingress: argocd-cm has no url (not the chart's placeholder domain) and argocd-server keeps TLS", () => {
        assert.strictEqual(rendered.cm?.data.url, undefined);
        assert.strictEqual(rendered.notifications.cm?.context.argocdUrl, `https://${CHART_DEFAULTS_DOMAIN}`);
        assert.strictEqual(rendered.params?.data["server.insecure"], undefined);
        assert.strictEqual(rendered.env(SERVER, "ARGOCD_SERVER_INSECURE"), undefined);
      });
    });
  }

  describe("prod with an Ingress, a GitHub webhook and alerts", () => {
    let values: Values;
    let rendered: ReturnType<typeof renderArgoCd>;
    before(async () => {
      values = await releaseValues(
        "prod",
        withConfig("prod", [
          ["argocdIngressHost", HOST, {}],
          ["gitWebhookGitHubSecret", GITHUB, { secret: true }],
          ["alertWebhookUrl", "https://hooks.slack.com/services/T000/B000/not-a-real-hook", { secret: true }],
          ["argocdPollInterval", "5m", {}],
          ["argocdAdminEnabled", "false", {}],
        ]),
      );
      rendered = renderArgoCd(values);
    });

    it("points argocd-cm url and the notifications' argocdUrl at the Ingress host", () => {
      assert.strictEqual(rendered.cm?.data.url, `https://${HOST}`);
      assert.strictEqual(rendered.notifications.cm?.context.argocdUrl, `https://${HOST}`);
      assert.strictEqual(rendered.notifications.cm?.context.uiUrl, `https://${HOST}`);
    });

    it('runs argocd-server without TLS behind the Ingress: server.insecure "true", read by its env', () => {
      assert.strictEqual(rendered.params?.data["server.insecure"], "true");
      assert.strictEqual(rendered.env(SERVER, "ARGOCD_SERVER_INSECURE"), "true");
    });

    it("writes the webhook secret as a reference to the program's Secret, never its value", () => {
      const data = rendered.secret?.data ?? {};
      assert.strictEqual(data["webhook.github.secret"], "$atlas-gitops-git-webhooks:github");
      assert.ok(!Object.values(data).includes(GITHUB));
      assert.strictEqual(data["admin.password"], MOCK_BCRYPT_HASH);
    });

    it('keeps admin.enabled "false" (a false value is text, not an empty one) and the new poll interval', () => {
      assert.strictEqual(rendered.cm?.data["admin.enabled"], "false");
      assert.strictEqual(rendered.env(CONTROLLER, "ARGOCD_RECONCILIATION_TIMEOUT"), "5m");
    });

    it("puts the alert service, templates and triggers into argocd-notifications-cm, and still no chart Secret", () => {
      const cm = rendered.notifications.cm!;
      assert.ok("service.webhook.atlas-gitops" in cm.data);
      assert.strictEqual(Object.keys(cm.data).filter((k) => k.startsWith("trigger.")).length, 4);
      assert.strictEqual(Object.keys(cm.data).filter((k) => k.startsWith("template.")).length, 4);
      assert.strictEqual(cm.context.stack, "prod");
      assert.strictEqual(rendered.notifications.secret, undefined);
      // The program's Secret has the name the chart would have used, which the controller reads (--secret-name).
      assert.strictEqual(
        renderNotifications({ notifications: { secret: { create: true } } }).secret,
        NOTIFICATIONS_SECRET_NAME,
      );
    });
  });

  describe("the model tells when a value would not reach Argo CD", () => {
    let values: Values;
    before(async () => {
      values = await releaseValues("dev");
    });

    it("drops an argocd-cm key whose value renders empty, so the controller falls back to its own default", () => {
      const emptied = mergeValues(values, { configs: { cm: { "timeout.reconciliation": "" } } });
      const cm = renderArgocdCm(emptied);
      assert.ok(!("timeout.reconciliation" in (cm?.data ?? {})));
      assert.strictEqual(renderArgoCd(emptied).env(CONTROLLER, "ARGOCD_RECONCILIATION_TIMEOUT"), undefined);
      // Unlike argocd-cmd-params-cm, which keeps an empty value as "".
      const params = renderCmdParamsCm(
        mergeValues(values, { configs: { params: { "controller.resource.health.persist": "" } } }),
      );
      assert.strictEqual(params?.data["controller.resource.health.persist"], "");
    });

    it("loses the health checks and the persist switch if the chart stops creating its ConfigMaps", () => {
      const off = mergeValues(values, { configs: { cm: { create: false }, params: { create: false } } });
      const rendered = renderArgoCd(off);
      assert.strictEqual(rendered.cm, undefined);
      assert.strictEqual(
        rendered.env(CONTROLLER, "ARGOCD_APPLICATION_CONTROLLER_PERSIST_RESOURCE_HEALTH"),
        undefined,
      );
    });

    it("restamps the admin password on every render when no mtime is pinned", () => {
      const unpinned = mergeValues(values, { configs: { secret: { argocdServerAdminPasswordMtime: "" } } });
      const a = renderArgocdSecret(unpinned, new Date("2026-01-01T00:00:00Z"));
      const b = renderArgocdSecret(unpinned, new Date("2026-01-02T00:00:00Z"));
      assert.notStrictEqual(a?.data?.["admin.passwordMtime"], b?.data?.["admin.passwordMtime"]);
    });

    it("would render a structured argocd-cm value as Go's map text, which the model refuses", () => {
      const nested = mergeValues(values, { configs: { cm: { [SCHEMA_KEY]: { script: "return {}" } } } });
      assert.throws(() => renderArgocdCm(nested), /Go's %v text \(object\)/);
    });

    it("would render argocd-notifications-secret, owned by the chart, if notifications.secret.create were on", () => {
      const owned = mergeValues(values, { notifications: { secret: { create: true } } });
      assert.strictEqual(renderNotifications(owned).secret, NOTIFICATIONS_SECRET_NAME);
    });

    it('lets an empty value override a preset, then drops it: url "" removes the url key', () => {
      // The program's own values carry url "" already; without it the chart's preset shows through.
      const withoutUrl = structuredClone(values) as Values;
      delete ((withoutUrl.configs as Values).cm as Values).url;
      assert.ok("url" in (renderArgocdCm(withoutUrl)?.data ?? {}));
      assert.ok(
        !("url" in (renderArgocdCm(mergeValues(withoutUrl, { configs: { cm: { url: "" } } }))?.data ?? {})),
      );
    });
  });

  describe("the model's own rules", () => {
    it("stringifies like sprig toString: strings as they are, booleans and integers as Go prints them", () => {
      assert.deepStrictEqual(
        [toGoString("120s", "x"), toGoString(true, "x"), toGoString(false, "x"), toGoString(3, "x")],
        ["120s", "true", "false", "3"],
      );
      assert.throws(() => toGoString(null, "x"));
      assert.throws(() => toGoString(0.5, "x"));
    });

    it("coalesces like Helm: maps merge, a null removes a default", () => {
      const merged = coalesce(CHART_DEFAULTS, { configs: { cm: { "exec.enabled": null, extra: "1" } } });
      const cm = (merged.configs as Values).cm as Values;
      assert.ok(!("exec.enabled" in cm));
      assert.strictEqual(cm["admin.enabled"], true);
      assert.strictEqual(cm.extra, "1");
    });

    it("refuses a key the chart writes raw that would not read back as itself", () => {
      assert.throws(() => renderArgocdCm({ configs: { cm: { "a key": "v" } } }), /not a valid ConfigMap key/);
      assert.throws(() => renderArgocdCm({ configs: { cm: { yes: "v" } } }), /does not read back/);
    });
  });
});
