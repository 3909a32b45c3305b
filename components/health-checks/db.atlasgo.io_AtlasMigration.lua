-- Argo CD health check for db.atlasgo.io/AtlasMigration (ariga/atlas-operator).
-- Reasons (atlas-operator v0.7.37, api/v1alpha1/reason.go isFailedReason): Reconciling and GettingDevDB
-- mean still working, ApprovalPending means waiting for a human; any other Ready=False reason is a failure
-- that also sets Stalled=True, e.g. Migrating (checksum mismatch), ReadingMigrationData, ProtectedFlowError,
-- PlanRejected (internal/controller/atlasmigration_controller.go).
-- status.observedGeneration and the conditions' observedGeneration exist since operator v0.7.16.
--
-- Only the kind-specific part: components/health-checks.ts appends shared/atlas-status.lua to this file
-- to make the one self-contained script Argo CD runs for this kind.

local KIND = "AtlasMigration"

-- AtlasMigration's ApprovalPending message already carries the URL to review the plan at, so there is
-- nothing to add.
local function approval_hint(status)
  return ""
end
