/**
 * The atlas-gitops policy pack: `pulumi preview --policy-pack policy --policy-pack-config
 * policy/config/<stack>.json`. Every policy is advisory unless the stack's config file raises it; prod's makes
 * all of them mandatory. The policies themselves live in ./policies.ts.
 *
 * Constructing the PolicyPack starts the pack's gRPC server and reads the version from ./package.json in the
 * working directory, which the Pulumi CLI sets to this folder (@pulumi/policy policy.ts PolicyPack).
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./policies";

new PolicyPack(PACK_NAME, {
  description:
    "Guard rails for atlas-gitops: pinned revisions and charts, fenced AppProjects, protected prod state, " +
    "generated passwords kept secret.",
  enforcementLevel: "advisory",
  policies: POLICIES,
});
