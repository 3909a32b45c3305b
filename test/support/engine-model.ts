/**
 * What the Pulumi engine makes of the resources a program registers, for the two questions the mocks cannot
 * answer: which URN each resource gets (and so which old resource an alias adopts), and what each resource waits
 * for before it is created.
 *
 * Read in pulumi/pulumi (the Node SDK at v3.248.0, the version package.json installs; the engine re-read at v3.252.0):
 * - sdk/go/common/resource/urn.go `NewURN` and pkg/resource/deploy/step_generator.go `generateURN`: a URN is
 *   `urn:pulumi:<stack>::<project>::<qualified type>::<name>`, the qualified type being the parent's qualified
 *   type, `$`, then the resource's own type; a resource whose parent is the root stack has no parent type.
 *   (The mock monitor keeps only the parent's last type, sdk/nodejs/runtime/mocks.ts `newUrn`, so its URNs are not
 *   the engine's; this model is.)
 * - step_generator.go `generateSteps` / `generateAliases` / `collapseAliasToUrn`: an old resource is adopted when
 *   its URN equals the new URN or one of the new resource's aliases; an alias given as a URN is used verbatim.
 *   Aliases a child inherits from its parent apply only when the parent itself matched through an alias; no
 *   component here has aliases, so only explicit ones count.
 * - sdk/nodejs/runtime/resource.ts `prepareResource`: a registration first awaits every `dependsOn` resource and
 *   every resource its input Outputs came from (runtime/dependsOn.ts `getAllTransitivelyReferencedResources`
 *   expands a component into its custom children), then awaits its parent's URN. A component's URN resolves only
 *   after its own dependencies were awaited, so a component's dependsOn holds back all of its children.
 *
 * And for deletes (`pulumi destroy`, and the end of a `pulumi up` that dropped resources), first read at v3.259.0 and
 * re-read at v3.252.0 (tag commit 31997188e2caf0b75a4e50d77574215fd42d7f8c), the CLI the e2e runs: nothing below
 * differs between the two but types moving package and, in DeleteStep.Apply, an IgnoreProtect option this project
 * does not use; the Node SDK parts are the same at v3.248.0:
 * - sdk/nodejs/runtime/resource.ts `prepareResource` (where it collects the dependency URNs): what is sent as the
 *   resource's `dependencies` (and `propertyDependencies`) and kept in its state is its OWN dependsOn plus the
 *   resources its inputs came from, each expanded by runtime/dependsOn.ts `getAllTransitivelyReferencedResourceURNs`
 *   into the custom descendants of a component (non-remote components themselves are dropped). A parent's dependsOn
 *   is not among them: it only delays the child's registration (the `await parent.urn`). The state also keeps the
 *   parent URN, and a component is in the state with its own dependencies.
 * - pkg/resource/graph/dependency_graph.go `DependenciesOf`: a resource depends on its provider, its parent, its
 *   `dependencies`, its property dependencies (and deletedWith / replaceWith, not used here). A dependency that is
 *   a component would also bring that component's children, but the Node SDK never records one (see above).
 * - pkg/resource/deploy/step_generator.go `ScheduleDeletes`: the condemned resources are peeled into antichains,
 *   each round taking those none of whose `DependenciesOf` is still condemned, and the list is reversed; so a
 *   resource is deleted only after everything that depends on it, or is its child, is gone.
 *   deployment_executor.go `performPostSteps` runs the antichains one after another, each to completion
 *   (`ExecuteParallel` then `tok.Wait`), and drops from later antichains the `TransitiveDependenciesOf` every step
 *   that failed (dependency_graph.go: provider, parent, dependencies, followed to the end).
 * - pkg/resource/deploy/step.go `DeleteStep.Apply`: a protected resource's delete fails with deleteProtectedError
 *   when its step runs (not when steps are generated), before the DryRun check, so a preview fails on it too;
 *   step_executor.go `cancelDueToError` goes on past that error (and only that one), so the others still run.
 *   pkg/backend/apply.go `PreviewThenPromptThenExecute`: a failed preview returns before anything is executed,
 *   so only `--skip-preview` gets as far as deleting the unprotected rest.
 * Providers (deleted after everything they manage) and the Stack resource are not in this model.
 */
import * as pulumi from "@pulumi/pulumi";
import { resolve } from "./mocks";

export interface Node {
  readonly resource: pulumi.Resource;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent?: Node;
  readonly opts: pulumi.ResourceOptions;
  readonly props: unknown;
  readonly children: Node[];
}

/** Records every resource registered below a component, through the component's `transformations` option. */
export class EngineModel {
  readonly nodes: Node[] = [];
  private readonly byResource = new Map<pulumi.Resource, Node>();

  constructor(
    readonly stack: string,
    readonly project: string,
  ) {}

  /** Pass to the root component as `transformations: [model.transformation]`; it sees the root itself too. */
  readonly transformation: pulumi.ResourceTransformation = (args) => {
    const parent = args.opts.parent === undefined ? undefined : this.byResource.get(args.opts.parent);
    const node: Node = {
      resource: args.resource,
      type: args.type,
      name: args.name,
      custom: args.resource instanceof pulumi.CustomResource,
      parent,
      opts: args.opts,
      props: args.props,
      children: [],
    };
    parent?.children.push(node);
    this.nodes.push(node);
    this.byResource.set(args.resource, node);
    return undefined;
  };

  node(type: string, name: string): Node {
    const found = this.nodes.filter((n) => n.type === type && n.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} '${name}', found ${found.length}`);
    return found[0];
  }

  qualifiedType(node: Node): string {
    return node.parent === undefined ? node.type : `${this.qualifiedType(node.parent)}$${node.type}`;
  }

  urn(node: Node): string {
    return `urn:pulumi:${this.stack}::${this.project}::${this.qualifiedType(node)}::${node.name}`;
  }

  /** The URNs under which the engine looks for this resource's old state, its own first. */
  async candidates(node: Node): Promise<string[]> {
    const aliases = await Promise.all(
      (node.opts.aliases ?? []).map(async (a) => {
        const value = await resolve(a as pulumi.Input<string | pulumi.Alias>);
        if (typeof value === "string") return value;
        // collapseAliasToUrn: an Alias object names what differs; name, type and parent default to the new ones.
        // (pulumi-kubernetes gives every kind such aliases for its other API versions.)
        const alias = (value ?? {}) as pulumi.Alias;
        if (alias.parent !== undefined || alias.stack !== undefined || alias.project !== undefined) {
          throw new Error(`alias of ${node.name} names a parent, stack or project; model it first`);
        }
        const type = (alias.type as string | undefined) ?? node.type;
        const name = (alias.name as string | undefined) ?? node.name;
        const parentType = node.parent === undefined ? "" : `${this.qualifiedType(node.parent)}$`;
        return `urn:pulumi:${this.stack}::${this.project}::${parentType}${type}::${name}`;
      }),
    );
    return [this.urn(node), ...aliases];
  }

  /** The custom resources a node stands for in a dependency: itself, or a component's custom descendants. */
  private expand(node: Node): Node[] {
    return node.custom ? [node] : node.children.flatMap((c) => this.expand(c));
  }

  private direct(node: Node): Set<Node> {
    const deps = new Set<Node>();
    const add = (r: pulumi.Resource) => {
      const n = this.byResource.get(r);
      if (n !== undefined && n !== node) this.expand(n).forEach((d) => deps.add(d));
    };
    const dependsOn = node.opts.dependsOn;
    for (const r of (Array.isArray(dependsOn)
      ? dependsOn
      : dependsOn
        ? [dependsOn]
        : []) as pulumi.Resource[]) {
      add(r);
    }
    for (const r of outputResources(node.props)) add(r);
    return deps;
  }

  /** Every custom resource this one waits for before it is created: its own and its ancestors' dependencies. */
  waitsFor(node: Node): Set<Node> {
    const result = new Set<Node>();
    for (let n: Node | undefined = node; n !== undefined; n = n.parent) {
      this.direct(n).forEach((d) => result.add(d));
    }
    return result;
  }

  /**
   * What the engine counts as this resource's dependencies when it deletes (dependency_graph.go `DependenciesOf`):
   * its recorded dependencies (own dependsOn and input sources, components expanded; not the parent's dependsOn)
   * and its parent.
   */
  deleteDependencies(node: Node): Set<Node> {
    const deps = this.direct(node);
    if (node.parent !== undefined) deps.add(node.parent);
    return deps;
  }

  /** deleteDependencies followed to the end (dependency_graph.go `TransitiveDependenciesOf`): deleted after it. */
  deletedAfter(node: Node): Set<Node> {
    return reachable(node, (n) => this.deleteDependencies(n));
  }

  /**
   * Every resource whose delete must be finished before this one's starts, whichever of them are condemned
   * together (a whole `pulumi destroy`, or the resources an update dropped): all that depend on it, or are its
   * descendants, directly or not.
   */
  deletesBefore(node: Node): Set<Node> {
    return new Set(this.nodes.filter((n) => n !== node && this.deletedAfter(n).has(node)));
  }

  /**
   * step_generator.go `ScheduleDeletes`: the condemned resources (all of them for `pulumi destroy`) as the
   * antichains the engine deletes one after another, each in parallel.
   */
  deleteSchedule(condemned: Iterable<Node> = this.nodes): Node[][] {
    const left = new Set(condemned);
    const rounds: Node[][] = [];
    while (left.size > 0) {
      const round = [...left].filter((n) => ![...this.deleteDependencies(n)].some((d) => left.has(d)));
      if (round.length === 0) throw new Error("dependency cycle among the condemned resources");
      round.forEach((n) => left.delete(n));
      rounds.push(round);
    }
    return rounds.reverse();
  }

  /**
   * `pulumi destroy` of everything, with the protect option as the engine applies it: the preview fails on the
   * first protected resource and nothing is deleted; with `--skip-preview` the antichains run, protected deletes
   * fail (`refused`), whatever those depend on is skipped (`kept`), and everything else is `deleted`.
   */
  destroy(opts: { skipPreview?: boolean } = {}): { deleted: Node[]; refused: Node[]; kept: Node[] } {
    const deleted: Node[] = [];
    const refused: Node[] = [];
    const kept: Node[] = [];
    for (const antichain of this.deleteSchedule()) {
      // performPostSteps: the dependencies of every step that failed so far are dropped from this antichain.
      const dropped = new Set(refused.flatMap((r) => [...this.deletedAfter(r)]));
      for (const node of antichain) {
        if (dropped.has(node)) kept.push(node);
        else if (node.opts.protect === true) refused.push(node);
        else deleted.push(node);
      }
    }
    if (refused.length > 0 && !opts.skipPreview) {
      return { deleted: [], refused, kept: this.nodes.filter((n) => !refused.includes(n)) };
    }
    return { deleted, refused, kept };
  }

  /** waitsFor, followed to the end: everything that must be created before this one. */
  before(node: Node): Set<Node> {
    return reachable(node, (n) => this.waitsFor(n));
  }

  /** The most nodes matching `counts` on any one chain of waits that ends in `node`, `node` included. */
  longestChain(node: Node, counts: (n: Node) => boolean): number {
    const own = counts(node) ? 1 : 0;
    const deps = [...this.waitsFor(node)];
    return own + (deps.length === 0 ? 0 : Math.max(...deps.map((d) => this.longestChain(d, counts))));
  }
}

/** Every node reachable from `node` along `edges`, directly or not (`node` itself only through a cycle). */
function reachable(node: Node, edges: (n: Node) => Iterable<Node>): Set<Node> {
  const seen = new Set<Node>();
  const visit = (from: Node) => {
    for (const d of edges(from)) {
      if (!seen.has(d)) {
        seen.add(d);
        visit(d);
      }
    }
  };
  visit(node);
  return seen;
}

/** The resources the Outputs inside a value came from (Output.resources() is what the SDK serializer reads). */
function outputResources(value: unknown, seen = new Set<unknown>()): pulumi.Resource[] {
  if (value === null || typeof value !== "object" || seen.has(value)) return [];
  seen.add(value);
  if (pulumi.Output.isInstance(value)) {
    const internal = value as unknown as { resources(): Set<pulumi.Resource> };
    return [...internal.resources()];
  }
  if (pulumi.Resource.isInstance(value)) return [];
  return Object.values(value).flatMap((v) => outputResources(v, seen));
}
