/**
 * A model of the argo-cd Helm chart 10.1.1 (argoproj/argo-helm, tag argo-cd-10.1.1, commit
 * af0a9310bacbaa4636018dfe22c801a6d33a5c43, charts/argo-cd), written from its templates, for the objects this
 * program's values decide: argocd-cm, argocd-cmd-params-cm, argocd-secret, argocd-notifications-cm, whether
 * argocd-notifications-secret is rendered, and the environment the application controller and argocd-server read
 * from those ConfigMaps. Only the keys and branches this program reaches are modelled; anything else makes the
 * model throw rather than guess.
 *
 * Helpers of the template language, read upstream:
 * - sprig v3.3.0 strings.go `strval` (behind `toString`): a string as is, anything else through fmt's `%v`, so a
 *   boolean becomes "true"/"false" and a map becomes Go's `map[k:v]` text.
 * - sprig v3.3.0 dict.go `mergeOverwrite` → dario.cat/mergo v1.0.1 merge.go `deepMerge`, map branch (lines
 *   120-213): each source key is written over the destination when `Overwrite` is set, because a value read from a
 *   `map[string]interface{}` has kind Interface (line 208), so an empty string or `false` overwrites too.
 * - helm v3 pkg/chartutil/coalesce.go `coalesceValues` / `CoalesceTables`: user values over the chart's
 *   values.yaml, maps merged key by key, anything else replaced, and a null user value deleting a key the chart
 *   has a default for.
 * - `toYaml` of a string is a YAML encoding of that string, read back by the API server as the same string; so the
 *   value a ConfigMap ends up holding is the `toString` text itself. Keys are written raw (`{{ $key }}:`), so they
 *   must read back as themselves.
 */
import { parse } from "yaml";

export const ARGO_CD_CHART_TAG = "argo-cd-10.1.1";
export const ARGO_CD_CHART_COMMIT = "af0a9310bacbaa4636018dfe22c801a6d33a5c43";

export type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * A chart default whose text this model does not carry (a multi-line document in values.yaml). It is non-empty,
 * so the chart keeps the key; its content is not what any test here asserts.
 */
export const CHART_TEXT = "<values.yaml text, not modelled>";
/** A preset computed from values this model does not follow (service names, ports, replica counts). */
export const CHART_PRESET = "<preset, not modelled>";

/** The defaults of charts/argo-cd/values.yaml the modelled templates read (line numbers at the tag). */
export const CHART_DEFAULTS: Values = {
  global: {
    domain: "argocd.example.com", // line 46
    logging: { format: "text", level: "info" }, // lines 71-75
  },
  configs: {
    cm: {
      create: true, // line 194
      annotations: {}, // line 197
      "application.instanceLabelKey": "argocd.argoproj.io/instance", // line 200
      "application.sync.impersonation.enabled": false, // line 204
      "exec.enabled": false, // line 208
      "admin.enabled": true, // line 212
      "timeout.reconciliation": "120s", // line 215
      "timeout.reconciliation.jitter": "60s", // line 218
      "timeout.hard.reconciliation": "0s", // line 221
      "statusbadge.enabled": false, // line 225
      // lines 311-372: what Argo CD ignores in resource updates; line 373: resource.exclusions.
      ...Object.fromEntries(
        [
          "all",
          "argoproj.io_Application",
          "argoproj.io_Rollout",
          "autoscaling_HorizontalPodAutoscaler",
          "ConfigMap",
          "apps_ReplicaSet",
          "discovery.k8s.io_EndpointSlice",
          "Endpoints",
        ].map((k) => [`resource.customizations.ignoreResourceUpdates.${k}`, CHART_TEXT]),
      ),
      "resource.exclusions": CHART_TEXT,
    },
    params: { create: true, annotations: {} }, // lines 434-437
    secret: {
      createSecret: true, // line 683
      labels: {},
      annotations: {},
      githubSecret: "", // lines 690-698, one a line
      gitlabSecret: "",
      bitbucketServerSecret: "",
      bitbucketUUID: "",
      gogsSecret: "",
      azureDevops: { username: "", password: "" }, // lines 700-704
      extra: {}, // line 710
      argocdServerAdminPassword: "", // line 716
      argocdServerAdminPasswordMtime: "", // line 719
    },
    styles: "", // line 725
  },
  controller: { dynamicClusterDistribution: false }, // line 777
  dex: { enabled: true }, // line 1140
  commitServer: { enabled: false }, // line 4492
  notifications: {
    enabled: true, // line 3878
    argocdUrl: "", // line 3885
    context: {}, // line 3985
    secret: { create: true, name: "argocd-notifications-secret", annotations: {}, labels: {}, items: {} }, // 3989-4006
    notifiers: {}, // line 4062
    cm: { create: true }, // line 4204
    subscriptions: [], // line 4214
    templates: {}, // line 4230
    triggers: {}, // line 4447
  },
};

/** Helm's coalescing of user values over the chart's defaults (see the header). */
export function coalesce(defaults: Values, user: Values): Values {
  const out: Values = { ...user };
  for (const [key, def] of Object.entries(defaults)) {
    if (!(key in out)) out[key] = def;
    else if (out[key] === null) delete out[key];
    else if (isMap(out[key]) && isMap(def)) out[key] = coalesce(def, out[key] as Values);
  }
  return out;
}

/** Go text/template truth for `if` and `with`: false, 0, nil, "" and empty lists and maps are false. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/**
 * sprig `toString` for the values this model accepts: strings, booleans and integers (Go's `%v` of an integral
 * float64 below 1e21 is its decimal digits). Maps, lists, null and fractions would come out as Go's own text
 * (`map[...]`, `[...]`, `<nil>`, exponents), which no Argo CD setting reads: the model refuses them.
 */
export function toGoString(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  throw new Error(
    `${where}: ${JSON.stringify(value)} would render as Go's %v text (${Array.isArray(value) ? "list" : value === null ? "nil" : typeof value}); not modelled`,
  );
}

/**
 * A key written raw before `:` (argocd-cm and argocd-cmd-params-cm data) must read back as the same string key,
 * and be a valid ConfigMap key (Kubernetes validation IsConfigMapKey: `[-._a-zA-Z0-9]+`).
 */
function rawKey(key: string, where: string): string {
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new Error(`${where}: key '${key}' is not a valid ConfigMap key`);
  const back = parse(`${key}: x`, { version: "1.1" }) as unknown;
  if (!isMap(back) || Object.keys(back).length !== 1 || Object.keys(back)[0] !== key)
    throw new Error(`${where}: key '${key}' does not read back as itself`);
  return key;
}

const get = (values: Values, dotted: string): unknown =>
  dotted.split(".").reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), values);

const omit = (m: Values, ...keys: string[]): Values =>
  Object.fromEntries(Object.entries(m).filter(([k]) => !keys.includes(k)));

/** mergeOverwrite of flat maps (see the header): every key of `src` wins, whatever its value. */
function mergeOverwrite(dst: Values, src: Values): Values {
  return { ...dst, ...src };
}

export interface ConfigMapModel {
  readonly name: string;
  readonly data: Record<string, string>;
}

/**
 * templates/_helpers.tpl "argo-cd.config.cm.presets" (lines 203-213): `url` is always `https://<global.domain>`;
 * `statusbadge.url` only when `statusbadge.enabled` stringifies to "true"; `ui.cssurl` only with `configs.styles`.
 */
function cmPresets(values: Values): Values {
  const domain = toGoString(get(values, "global.domain"), "global.domain");
  const presets: Values = { url: `https://${domain}` };
  const badge = (get(values, "configs.cm") as Values)["statusbadge.enabled"];
  if (badge !== undefined && toGoString(badge, "statusbadge.enabled") === "true")
    presets["statusbadge.url"] = `https://${domain}/`;
  if (truthy(get(values, "configs.styles"))) presets["ui.cssurl"] = "./custom/custom.styles.css";
  return presets;
}

/**
 * argocd-cm: templates/argocd-configs/argocd-cm.yaml (lines 1-17, only with `configs.cm.create`) around
 * templates/_helpers.tpl "argo-cd.config.cm" (lines 218-227): `configs.cm` without `create` and `annotations`,
 * merged over the presets (the values win), each value through `toString`, and a key whose text is empty left out.
 */
export function renderArgocdCm(userValues: Values): ConfigMapModel | undefined {
  const values = coalesce(CHART_DEFAULTS, userValues);
  const cm = get(values, "configs.cm") as Values;
  if (!truthy(cm.create)) return undefined;
  const merged = mergeOverwrite(cmPresets(values), omit(cm, "create", "annotations"));
  const data: Record<string, string> = {};
  for (const key of Object.keys(merged).sort()) {
    const text = toGoString(merged[key], `argocd-cm ${key}`);
    if (text !== "") data[rawKey(key, "argocd-cm")] = text;
  }
  return { name: "argocd-cm", data };
}

/** The params presets this model computes; the others are listed with CHART_PRESET for their key only. */
function paramsPresets(values: Values): Values {
  // templates/_helpers.tpl "argo-cd.config.params.presets" (lines 233-251).
  const presets: Values = {
    "repo.server": CHART_PRESET, // line 235
    "server.repo.server.strict.tls": CHART_PRESET, // line 236
    "redis.server": CHART_PRESET, // line 237
    "applicationsetcontroller.enable.leader.election": CHART_PRESET, // line 238
  };
  if (truthy(get(values, "dex.enabled"))) {
    presets["server.dex.server"] = CHART_PRESET; // lines 239-242
    presets["server.dex.server.strict.tls"] = CHART_PRESET;
  }
  if (truthy(get(values, "commitServer.enabled"))) presets["commit.server"] = CHART_PRESET; // lines 243-245
  // Lines 246-249: every component's log format and level from global.logging.
  const components = [
    "applicationsetcontroller",
    "controller",
    "server",
    "reposerver",
    "notificationscontroller",
    "dexserver",
    "commitserver",
  ];
  for (const component of components) {
    presets[`${component}.log.format`] = get(values, "global.logging.format");
    presets[`${component}.log.level`] = get(values, "global.logging.level");
  }
  return presets;
}

/**
 * argocd-cmd-params-cm: templates/argocd-configs/argocd-cmd-params-cm.yaml (lines 1-17, only with
 * `configs.params.create`) around templates/_helpers.tpl "argo-cd.config.params" (lines 256-262): `configs.params`
 * without `create` and `annotations`, merged over the presets, every value through `toString` (so `true` becomes
 * "true"), and, unlike argocd-cm, no key dropped for an empty value.
 */
export function renderCmdParamsCm(userValues: Values): ConfigMapModel | undefined {
  const values = coalesce(CHART_DEFAULTS, userValues);
  const params = get(values, "configs.params") as Values;
  if (!truthy(params.create)) return undefined;
  const merged = mergeOverwrite(paramsPresets(values), omit(params, "create", "annotations"));
  const data: Record<string, string> = {};
  for (const key of Object.keys(merged).sort())
    data[rawKey(key, "argocd-cmd-params-cm")] = toGoString(merged[key], `argocd-cmd-params-cm ${key}`);
  return { name: "argocd-cmd-params-cm", data };
}

export interface SecretModel {
  readonly name: string;
  /** The decoded data (the template writes each value through `b64enc`); undefined when it writes no `data:`. */
  readonly data?: Record<string, string>;
}

/** Webhook values and the argocd-secret keys they become (argocd-secret.yaml lines 22-36, each under `with`). */
export const WEBHOOK_SECRET_KEYS: Readonly<Record<string, string>> = {
  githubSecret: "webhook.github.secret",
  gitlabSecret: "webhook.gitlab.secret",
  bitbucketServerSecret: "webhook.bitbucketserver.secret",
  bitbucketUUID: "webhook.bitbucket.uuid",
  gogsSecret: "webhook.gogs.secret",
};

/** sprig `dateInZone "2006-01-02T15:04:05Z" (now) "UTC"`: the render time, to the second. */
const renderTime = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * argocd-secret: templates/argocd-configs/argocd-secret.yaml. Rendered only with `configs.secret.createSecret`
 * (line 1); a `data:` section only when a webhook value, the Azure DevOps pair, the admin password or `extra` is
 * set (line 19). The admin password goes to `admin.password` and its mtime to `admin.passwordMtime`, which
 * defaults to the render time (lines 41-44): `renderedAt` stands for Helm's `now`.
 */
export function renderArgocdSecret(userValues: Values, renderedAt: Date): SecretModel | undefined {
  const values = coalesce(CHART_DEFAULTS, userValues);
  const secret = get(values, "configs.secret") as Values;
  if (!truthy(secret.createSecret)) return undefined;
  const azure = isMap(secret.azureDevops) ? secret.azureDevops : {};
  const azureSet = truthy(azure.username) && truthy(azure.password);
  const any =
    Object.keys(WEBHOOK_SECRET_KEYS).some((k) => truthy(secret[k])) ||
    azureSet ||
    truthy(secret.argocdServerAdminPassword) ||
    truthy(secret.extra);
  if (!any) return { name: "argocd-secret" };
  const data: Record<string, string> = {};
  for (const [value, key] of Object.entries(WEBHOOK_SECRET_KEYS))
    if (truthy(secret[value])) data[key] = toGoString(secret[value], `configs.secret.${value}`);
  if (azureSet) {
    data["webhook.azuredevops.username"] = toGoString(azure.username, "azureDevops.username");
    data["webhook.azuredevops.password"] = toGoString(azure.password, "azureDevops.password");
  }
  if (truthy(secret.argocdServerAdminPassword)) {
    data["admin.password"] = toGoString(secret.argocdServerAdminPassword, "argocdServerAdminPassword");
    // sprig `default`: the mtime value unless it is empty, else the render time.
    const mtime = secret.argocdServerAdminPasswordMtime;
    data["admin.passwordMtime"] = truthy(mtime)
      ? toGoString(mtime, "argocdServerAdminPasswordMtime")
      : renderTime(renderedAt);
  }
  for (const [key, value] of Object.entries(isMap(secret.extra) ? secret.extra : {}))
    data[key] = toGoString(value, `configs.secret.extra.${key}`);
  return { name: "argocd-secret", data };
}

export interface NotificationsModel {
  /** argocd-notifications-cm, parsed: `context` as the mapping the controller reads, the other keys as text. */
  readonly cm?: { readonly context: Values; readonly data: Record<string, string> };
  /** The name of argocd-notifications-secret when the chart renders it; undefined when it does not. */
  readonly secret?: string;
}

/**
 * templates/argocd-configs/argocd-notifications-cm.yaml (lines 1-28, with `notifications.enabled` and
 * `notifications.cm.create`): a `context` block holding `argocdUrl` (`notifications.argocdUrl`, else
 * `https://<global.domain>`, line 11) followed by `notifications.context` (lines 12-14); then the maps `notifiers`,
 * `templates` and `triggers` written as they are, key by key, into data (lines 15-27); `subscriptions` only when
 * set. templates/argocd-configs/argocd-notifications-secret.yaml line 1: the Secret only with
 * `notifications.enabled` and `notifications.secret.create`.
 */
export function renderNotifications(userValues: Values): NotificationsModel {
  const values = coalesce(CHART_DEFAULTS, userValues);
  const n = get(values, "notifications") as Values;
  if (!truthy(n.enabled)) return {};
  const secret = truthy(get(n, "secret.create")) ? (get(n, "secret.name") as string) : undefined;
  if (!truthy(get(n, "cm.create"))) return { secret };
  const context = isMap(n.context) ? n.context : {};
  if ("argocdUrl" in context)
    throw new Error("notifications.context.argocdUrl: a duplicate key; not modelled");
  const argocdUrl = truthy(n.argocdUrl)
    ? toGoString(n.argocdUrl, "notifications.argocdUrl")
    : `https://${get(values, "global.domain") as string}`;
  const data: Record<string, string> = {};
  for (const part of ["notifiers", "templates", "triggers"]) {
    for (const [key, value] of Object.entries(isMap(n[part]) ? (n[part] as Values) : {})) {
      if (typeof value !== "string")
        throw new Error(
          `notifications.${part}.${key}: not a string; a nested mapping is not valid ConfigMap data`,
        );
      if (key === "context" || key in data)
        throw new Error(`notifications.${part}.${key}: a duplicate data key`);
      data[key] = value;
    }
  }
  if (truthy(n.subscriptions)) data.subscriptions = CHART_TEXT;
  return { cm: { context: { argocdUrl, ...context }, data }, secret };
}

/** An environment variable read from a ConfigMap key (`valueFrom.configMapKeyRef`). */
export interface ConfigMapEnv {
  readonly configMap: string;
  readonly key: string;
  readonly optional: boolean;
}

/**
 * The environment variables the modelled workloads read from the two ConfigMaps, as the templates write them
 * (values-independent): templates/argocd-application-controller/statefulset.yaml (a StatefulSet unless
 * `controller.dynamicClusterDistribution`, line 1) lines 87-104 and 213-218, and
 * templates/argocd-server/deployment.yaml lines 87-92.
 */
export const WORKLOAD_ENV: Readonly<Record<string, Readonly<Record<string, ConfigMapEnv>>>> = {
  "StatefulSet/argocd-application-controller": {
    ARGOCD_RECONCILIATION_TIMEOUT: { configMap: "argocd-cm", key: "timeout.reconciliation", optional: true },
    ARGOCD_HARD_RECONCILIATION_TIMEOUT: {
      configMap: "argocd-cm",
      key: "timeout.hard.reconciliation",
      optional: true,
    },
    ARGOCD_RECONCILIATION_JITTER: {
      configMap: "argocd-cm",
      key: "timeout.reconciliation.jitter",
      optional: true,
    },
    ARGOCD_APPLICATION_CONTROLLER_PERSIST_RESOURCE_HEALTH: {
      configMap: "argocd-cmd-params-cm",
      key: "controller.resource.health.persist",
      optional: true,
    },
  },
  "Deployment/argocd-server": {
    ARGOCD_SERVER_INSECURE: { configMap: "argocd-cmd-params-cm", key: "server.insecure", optional: true },
  },
};

/**
 * What a workload's environment variable holds: the ConfigMap key's value, or nothing when the key (or the
 * ConfigMap) is missing and the reference is optional (Kubernetes leaves an optional configMapKeyRef unset).
 */
export function envValue(
  workload: string,
  name: string,
  configMaps: readonly (ConfigMapModel | undefined)[],
): string | undefined {
  const ref = WORKLOAD_ENV[workload]?.[name];
  if (ref === undefined) throw new Error(`${workload} ${name}: not modelled`);
  const cm = configMaps.find((c) => c?.name === ref.configMap);
  const value = cm?.data[ref.key];
  if (value === undefined && !ref.optional) throw new Error(`${workload} ${name}: ${ref.key} is missing`);
  return value;
}

/** Every modelled object the chart renders for these values. */
export function renderArgoCd(userValues: Values, renderedAt = new Date()) {
  const cm = renderArgocdCm(userValues);
  const params = renderCmdParamsCm(userValues);
  return {
    cm,
    params,
    secret: renderArgocdSecret(userValues, renderedAt),
    notifications: renderNotifications(userValues),
    env: (workload: string, name: string) => envValue(workload, name, [cm, params]),
  };
}
