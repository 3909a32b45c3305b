-- Argo CD health check for db.atlasgo.io/AtlasSchema (ariga/atlas-operator).
-- Reasons (atlas-operator v0.7.37, api/v1alpha1/reason.go isFailedReason): Reconciling and GettingDevDB
-- mean still working, ApprovalPending means waiting for a human; any other Ready=False reason is a failure
-- that also sets Stalled=True, e.g. ApplyingSchema, LintPolicyError, ReadSchema, SchemaPlan
-- (internal/controller/atlasschema_controller.go) or FirstRunDestructive (internal/controller/lint.go).
-- status.observedGeneration and the conditions' observedGeneration exist since operator v0.7.16.
--
-- Only the kind-specific part: components/health-checks.ts appends shared/atlas-status.lua to this file
-- to make the one self-contained script Argo CD runs for this kind.

local KIND = "AtlasSchema"

-- AtlasSchema publishes the Atlas Cloud link of the plan waiting for review; its condition message does not.
local function approval_hint(status)
  local link = status.planLink
  if type(link) ~= "string" or link == "" then
    link = status.planURL
  end
  if type(link) ~= "string" or link == "" then
    return ""
  end
  return "; review and approve the plan at " .. link
end
