/**
 * The policies of the atlas-gitops pack. Pure: no policy here reads anything but the resource or stack it is
 * handed, so the tests run them through @pulumi/policy's own analyze functions without a CLI.
 *
 * How @pulumi/policy 1.21.0 hands resources to a policy (pulumi/pulumi-policy v1.21.0, sdk/nodejs/policy):
 * - server.ts makeAnalyzeRpcFun: a resource policy sees the resource's *inputs* before it is created or
 *   updated; `args.opts.protect` is the `protect` resource option (getResourceOptions).
 * - server.ts makeAnalyzeStackRpcFun: a stack policy sees every resource of the stack with its *outputs*, at the
 *   end of a preview or update, including the root `pulumi:pulumi:Stack` whose outputs are the stack's exports
 *   and every component with what it passed to registerOutputs (pulumi/pulumi pkg/resource/deploy/
 *   step_generator.go AnalyzeResources sends `v.Outputs` of every resource in the deployment).
 * - deserialize.ts deserializeProperties(..., proxySecrets = false): a secret arrives as its plain value; nothing
 *   tells a policy that a value was secret. A policy therefore cannot ask "is this secret?"; the secret check
 *   below asks "is a generated value anywhere except where it is known to be kept secret?".
 * - proxy.ts unknownCheckingProxy: reading a value that is unknown during preview throws; the server then
 *   reports "can't run policy during preview" as advisory instead of failing.
 *
 * Only types are imported from @pulumi/policy, so this module loads without starting the pack's gRPC server.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

/** The resource types this program registers (as test/support/mocks.ts TYPES records them). */
export const TYPES = {
  stack: "pulumi:pulumi:Stack",
  namespace: "kubernetes:core/v1:Namespace",
  secret: "kubernetes:core/v1:Secret",
  release: "kubernetes:helm.sh/v3:Release",
  password: "random:index/randomPassword:RandomPassword",
  application: "kubernetes:argoproj.io/v1alpha1:Application",
  appProject: "kubernetes:argoproj.io/v1alpha1:AppProject",
} as const;

/**
 * Argo CD's cascade-deletion finalizers: any of them makes deleting the Application delete what it deployed
 * (argoproj/argo-cd pkg/apis/application/v1alpha1 application_defaults.go ResourcesFinalizerName,
 * ForegroundPropagationPolicyFinalizer, BackgroundPropagationPolicyFinalizer; types.go
 * isPropagationPolicyFinalizer).
 */
export const CASCADE_FINALIZER = "resources-finalizer.argocd.argoproj.io";
export const CASCADE_FINALIZERS = [
  CASCADE_FINALIZER,
  `${CASCADE_FINALIZER}/foreground`,
  `${CASCADE_FINALIZER}/background`,
];
/**
 * The project every Argo CD install creates, which allows any repository and any destination; an empty
 * `spec.project` means it too (types.go ApplicationSpec.GetProject).
 */
export const DEFAULT_PROJECT = "default";

/** A full commit: 40 lowercase hex digits, as Argo CD reports `status.sync.revision`. */
export const COMMIT_SHA = /^[0-9a-f]{40}$/;
/**
 * A release tag: `MAJOR.MINOR.PATCH` with an optional leading `v` (v1.4.2, 1.4.2), no pre-release or build
 * suffix. Git cannot tell a tag from a branch by its name; this is the naming convention the pack enforces.
 */
export const RELEASE_TAG = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
/**
 * An exact chart version (SemVer 2.0.0, optional leading `v`). Helm reads `version` as a constraint: empty means
 * the newest chart, `^10` or `10.x` a moving one (helm pkg/repo/index.go IndexFile.Get, semver.NewConstraint).
 */
export const EXACT_CHART_VERSION =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/**
 * The keys that make a Kubernetes Secret the database credentials the manifests read: all of CREDENTIAL_KEYS, so
 * an Argo CD repository Secret (which has `url` and `password` too) is not taken for one.
 */
export const CREDENTIALS_SIGNATURE = ["username", "password", "host", "port", "database", "url"] as const;

/**
 * Where a generated value may appear because it is known to be kept secret there. A policy cannot see the
 * secret mark (see the top of this file), so each place is a contract checked elsewhere:
 * - a Secret's `data` and `stringData`: pulumi-kubernetes marks both secret in a Secret's outputs whatever the
 *   program passed (provider/pkg/provider/provider.go annotateSecrets);
 * - the rest are this program's own, each tested to be a secret Output in test/policy.test.ts.
 */
export const SECRET_PLACES: readonly { readonly type: string; readonly path: string }[] = [
  { type: TYPES.secret, path: "data" },
  { type: TYPES.secret, path: "stringData" },
  { type: TYPES.release, path: "values.configs.secret.argocdServerAdminPassword" },
  { type: "atlas-gitops:argocd:ArgoCd", path: "adminPassword" },
  { type: TYPES.stack, path: "argocdAdminPassword" },
];
/** The outputs of RandomPassword that are generated secrets (both are secret outputs of the provider). */
export const GENERATED_OUTPUTS = ["result", "bcryptHash"] as const;

type Props = Record<string, unknown>;

const isRecord = (v: unknown): v is Props => typeof v === "object" && v !== null && !Array.isArray(v);
const get = (v: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((at, key) => (isRecord(at) ? at[key] : undefined), v);
const str = (v: unknown): string => (typeof v === "string" ? v : (JSON.stringify(v) ?? "undefined"));

/** The sources of an Application: `spec.source`, or each of `spec.sources` for a multi-source Application. */
function applicationSources(props: Props): Props[] {
  const single = get(props, "spec", "source");
  const many = get(props, "spec", "sources");
  return [...(isRecord(single) ? [single] : []), ...(Array.isArray(many) ? many.filter(isRecord) : [])];
}

/** Problems with a targetRevision: anything but a full commit or a release tag may move under the Application. */
export function revisionProblem(revision: unknown): string | undefined {
  if (typeof revision === "string" && (COMMIT_SHA.test(revision) || RELEASE_TAG.test(revision)))
    return undefined;
  const hint =
    typeof revision === "string" && /^[0-9a-fA-F]{7,40}$/.test(revision)
      ? " (a commit must be all 40 hex digits, in lowercase)"
      : "";
  return (
    `targetRevision '${str(revision)}' can move${hint}: pin a 40-hex commit or a release tag such as v1.2.3. ` +
    `Set it with: pulumi config set targetRevision <commit-or-tag> ` +
    `(one application: pulumi config set --path 'applications[<n>].targetRevision' <commit-or-tag>)`
  );
}

/** Problems with a Helm chart version: anything but an exact version lets Helm pick another chart. */
export function chartVersionProblem(version: unknown): string | undefined {
  if (typeof version === "string" && EXACT_CHART_VERSION.test(version)) return undefined;
  return `chart version '${str(version)}' is not an exact version such as 1.2.3: Helm would pick the newest match`;
}

/** Problems with an AppProject: it must be named, not `default`, and allow exactly one repository and namespace. */
export function appProjectProblems(props: Props): string[] {
  const problems: string[] = [];
  const name = get(props, "metadata", "name");
  if (typeof name !== "string" || name === "" || name === DEFAULT_PROJECT) {
    problems.push(
      `AppProject is named '${str(name)}': give each application a project of its own, never 'default'`,
    );
  }
  const repos = get(props, "spec", "sourceRepos");
  if (!Array.isArray(repos) || repos.length !== 1 || typeof repos[0] !== "string" || /[*?[]/.test(repos[0])) {
    problems.push(`sourceRepos is ${JSON.stringify(repos)}: allow exactly one repository, with no wildcard`);
  }
  const destinations = get(props, "spec", "destinations");
  const only = Array.isArray(destinations) && destinations.length === 1 ? destinations[0] : undefined;
  const namespace = get(only, "namespace");
  const cluster = get(only, "server") ?? get(only, "name");
  const concrete = (v: unknown) => typeof v === "string" && v !== "" && !/[*?[!]/.test(v);
  if (only === undefined || !concrete(namespace) || !concrete(cluster)) {
    problems.push(
      `destinations is ${JSON.stringify(destinations)}: allow exactly one namespace on one cluster, with no wildcard`,
    );
  }
  return problems;
}

/** Problems with where an Application points: its project must be its own, never `default` (or empty). */
export function applicationProjectProblem(props: Props): string | undefined {
  const project = get(props, "spec", "project");
  if (typeof project === "string" && project !== "" && project !== DEFAULT_PROJECT) return undefined;
  return `spec.project is '${str(project)}': the default project allows every repository and namespace`;
}

/** The cascade-deletion finalizers an Application carries. */
export function cascadeFinalizers(props: Props): string[] {
  const finalizers = get(props, "metadata", "finalizers");
  return (Array.isArray(finalizers) ? finalizers : []).filter(
    (f): f is string => typeof f === "string" && CASCADE_FINALIZERS.includes(f),
  );
}

/** Whether a Secret's keys mark it as database credentials (it holds the password and the URL with it). */
export function isCredentialsSecret(props: Props): boolean {
  const keys = new Set([
    ...Object.keys(isRecord(props.data) ? props.data : {}),
    ...Object.keys(isRecord(props.stringData) ? props.stringData : {}),
  ]);
  return CREDENTIALS_SIGNATURE.every((k) => keys.has(k));
}

/** What makes a resource one that prod must protect from `pulumi destroy`, or undefined if it is not one. */
export function protectedKind(type: string, props: Props): string | undefined {
  if (type === TYPES.release) return "Helm release";
  if (type === TYPES.namespace) return "namespace";
  if (type === TYPES.secret && isCredentialsSecret(props)) return "database credentials Secret";
  return undefined;
}

/** One Application against the AppProject it names: the project must allow exactly its source and destination. */
export function projectMismatches(application: Props, project: Props | undefined): string[] {
  const app = str(get(application, "metadata", "name"));
  const projectName = str(get(application, "spec", "project"));
  if (project === undefined)
    return [`Application '${app}' names project '${projectName}', which this stack lacks`];
  const problems: string[] = [];
  const repos = get(project, "spec", "sourceRepos");
  const wanted = [...new Set(applicationSources(application).map((s) => str(s.repoURL)))].sort();
  const allowed = Array.isArray(repos) ? [...repos].map(str).sort() : [];
  if (JSON.stringify(allowed) !== JSON.stringify(wanted)) {
    problems.push(
      `AppProject '${projectName}' allows repositories ${JSON.stringify(allowed)}, ` +
        `but Application '${app}' deploys from ${JSON.stringify(wanted)}`,
    );
  }
  const destination = get(application, "spec", "destination");
  const destinations = get(project, "spec", "destinations");
  const same = (d: unknown) =>
    get(d, "namespace") === get(destination, "namespace") &&
    get(d, "server") === get(destination, "server") &&
    get(d, "name") === get(destination, "name");
  if (!Array.isArray(destinations) || destinations.length !== 1 || !same(destinations[0])) {
    problems.push(
      `AppProject '${projectName}' allows destinations ${JSON.stringify(destinations)}, ` +
        `but Application '${app}' deploys to ${JSON.stringify(destination)}`,
    );
  }
  return problems;
}

/** Where a generated value was found: the resource, the property path, and whether that place keeps it secret. */
export interface Occurrence {
  readonly urn: string;
  readonly type: string;
  readonly path: string;
  readonly secretPlace: boolean;
}

/** Reads a property, treating a value that is unknown during preview as absent: it cannot hold a known secret. */
function read(obj: Props | unknown[], key: string | number): unknown {
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Every string under `value`, with its dot path. */
function* strings(value: unknown, path: string[]): Generator<[string[], string]> {
  if (typeof value === "string") {
    yield [path, value];
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* strings(read(value, i), [...path, String(i)]);
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) yield* strings(read(value, key), [...path, key]);
  }
}

const isPrefix = (prefix: string[], path: string[]) => prefix.every((p, i) => path[i] === p);

/**
 * Every place in the stack where a generated value (a RandomPassword's result or bcrypt hash, also inside a longer
 * string such as a database URL) appears, outside the RandomPassword itself.
 */
export function findGeneratedValues(
  resources: readonly Pick<PolicyResource, "type" | "urn" | "props">[],
  places: readonly { readonly type: string; readonly path: string }[] = SECRET_PLACES,
): Occurrence[] {
  const generated = resources
    .filter((r) => r.type === TYPES.password)
    .flatMap((r) => GENERATED_OUTPUTS.map((key) => read(r.props, key)))
    .filter((v): v is string => typeof v === "string" && v.length >= 8);
  if (generated.length === 0) return [];
  const found: Occurrence[] = [];
  for (const r of resources) {
    if (r.type === TYPES.password) continue;
    for (const [path, text] of strings(r.props, [])) {
      if (!generated.some((g) => text.includes(g) || text.includes(encodeURIComponent(g)))) continue;
      const secretPlace = places.some((p) => p.type === r.type && isPrefix(p.path.split("."), path));
      found.push({ urn: r.urn, type: r.type, path: path.join("."), secretPlace });
    }
  }
  return found;
}

/** A resource policy that runs `check` on resources of one type only. */
function forType(
  type: string,
  check: (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidationPolicy["validateResource"] {
  return (args, report) => {
    if (args.type === type) check(args.props, args, report);
  };
}

export const applicationPinnedRevision: ResourceValidationPolicy = {
  name: "application-pinned-revision",
  description: "An Application tracks a full commit or a release tag (v1.2.3), never a branch or HEAD.",
  validateResource: forType(TYPES.application, (props, _args, report) => {
    for (const source of applicationSources(props)) {
      const problem = revisionProblem(source.targetRevision);
      if (problem !== undefined) report(`Application '${str(get(props, "metadata", "name"))}': ${problem}`);
    }
  }),
};

export const exactChartVersion: ResourceValidationPolicy = {
  name: "helm-release-exact-chart-version",
  description: "Every Helm release installs an exact chart version, never a range or the newest one.",
  validateResource: forType(TYPES.release, (props, _args, report) => {
    const problem = chartVersionProblem(props.version);
    if (problem !== undefined) report(`${str(props.chart)}: ${problem}`);
  }),
};

export const appProjectFenced: ResourceValidationPolicy = {
  name: "appproject-own-repository-and-namespace",
  description: "Each AppProject allows exactly one repository and one namespace, and is never 'default'.",
  validateResource: forType(TYPES.appProject, (props, _args, report) => {
    for (const problem of appProjectProblems(props)) report(problem);
  }),
};

export const applicationOwnProject: ResourceValidationPolicy = {
  name: "application-not-in-default-project",
  description: "An Application belongs to a project of its own, never 'default'.",
  validateResource: forType(TYPES.application, (props, _args, report) => {
    const problem = applicationProjectProblem(props);
    if (problem !== undefined) report(problem);
  }),
};

export const projectMatchesApplication: StackValidationPolicy = {
  name: "appproject-matches-application",
  description: "Each Application's project allows exactly its source repository and destination namespace.",
  validateStack: (args: StackValidationArgs, report) => {
    const projects = args.resources.filter((r) => r.type === TYPES.appProject);
    for (const app of args.resources.filter((r) => r.type === TYPES.application)) {
      const project = projects.find(
        (p) =>
          get(p.props, "metadata", "name") === get(app.props, "spec", "project") &&
          get(p.props, "metadata", "namespace") === get(app.props, "metadata", "namespace"),
      );
      for (const problem of projectMismatches(app.props, project?.props)) report(problem, app.urn);
    }
  },
};

export const noCascadeDelete: ResourceValidationPolicy = {
  name: "application-keeps-workloads-on-delete",
  description:
    "An Application carries no cascade-deletion finalizer: deleting it leaves the database running.",
  validateResource: forType(TYPES.application, (props, _args, report) => {
    for (const finalizer of cascadeFinalizers(props)) {
      report(
        `Application '${str(get(props, "metadata", "name"))}' has finalizer '${finalizer}': deleting the ` +
          `Application deletes everything it deployed, database included. Set it with: pulumi config set ` +
          `cascadeDelete false (one application: pulumi config set --path 'applications[<n>].cascadeDelete' false)`,
      );
    }
  }),
};

export const statefulResourcesProtected: ResourceValidationPolicy = {
  name: "stateful-resources-protected",
  description:
    "Helm releases, namespaces and database credentials Secrets are protected from pulumi destroy.",
  validateResource: (args, report) => {
    const kind = protectedKind(args.type, args.props);
    if (kind !== undefined && args.opts.protect !== true) {
      report(
        `${kind} '${args.name}' is not protected: pulumi destroy would delete it. ` +
          `Set it with: pulumi config set protectResources true`,
      );
    }
  },
};

export const generatedSecretsStaySecret: StackValidationPolicy = {
  name: "generated-secrets-stay-secret",
  description: "A generated password appears only where it is kept secret: never in a plain output or input.",
  validateStack: (args, report) => {
    for (const o of findGeneratedValues(args.resources)) {
      if (!o.secretPlace) {
        report(`a generated password appears in '${o.path}' of ${o.type}, which is not kept secret`, o.urn);
      }
    }
  },
};

/** Every policy of the pack. Levels come from the pack default (advisory) and the stack's config file. */
export const POLICIES = [
  applicationPinnedRevision,
  exactChartVersion,
  appProjectFenced,
  applicationOwnProject,
  projectMatchesApplication,
  noCascadeDelete,
  statefulResourcesProtected,
  generatedSecretsStaySecret,
];

/** The pack's name as `pulumi preview` reports it; must match the pack-name rule in server.ts serve(). */
export const PACK_NAME = "atlas-gitops";
