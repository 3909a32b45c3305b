-- Shared body of the Atlas operator health checks (components/health-checks.ts). It is not a script on its
-- own: the program appends it to each kind's file (../db.atlasgo.io_<Kind>.lua), and relies on that file
-- defining `KIND` (the kind's name, for messages) and `approval_hint(status)` (extra text for the
-- Suspended message). Argo CD takes one self-contained script per argocd-cm key: nothing to `require`.
--
-- Argo CD runs this from argocd-cm in gopher-lua (Lua 5.1) with only `package`, the base library and
-- `table`; there is no global `os` (only `require("os")`, with time and date), no `string`, no `math`, no
-- methods on strings. Everything below also behaves the same under Lua 5.3, which the tests use.

-- Ready=False reasons that mean the operator is still working: the sync wave waits.
local PENDING_REASONS = { Reconciling = true, GettingDevDB = true }

-- Ready=False reason that means a human has to approve a plan in Atlas Cloud: the wave waits too,
-- but Argo CD shows it as Suspended so nobody mistakes it for a slow apply.
local APPROVAL_REASON = "ApprovalPending"

local DIGITS = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" }

-- gopher-lua prints the number 3 as "3", Lua 5.3 prints 3.0 as "3.0"; spell whole numbers digit by
-- digit so a message names "generation 3" on every VM.
local function number_text(n)
  if n ~= n or n >= 1e15 or n <= -1e15 or n % 1 ~= 0 then
    return tostring(n)
  end
  if n == 0 then
    return "0"
  end
  local sign = ""
  if n < 0 then
    sign = "-"
    n = -n
  end
  local text = ""
  while n > 0 do
    local digit = n % 10
    text = DIGITS[digit + 1] .. text
    n = (n - digit) / 10
  end
  return sign .. text
end

local function health(status, message)
  return { status = status, message = message }
end

-- Data the API server's schema would have rejected: waiting cannot fix it, and an endless Progressing
-- (or a script error, which Argo CD shows as Unknown) would hold the wave forever. Fail the sync instead.
local function malformed(what)
  return health("Degraded", "cannot evaluate this " .. KIND .. ": " .. what)
end

-- A JSON array arrives as a table keyed 1..n; a JSON object as a table keyed by strings.
-- Count keys with pairs() rather than trusting #, which is undefined for tables with holes.
local function is_list(t)
  local count = 0
  for key in pairs(t) do
    if type(key) ~= "number" then
      return false
    end
    count = count + 1
  end
  for i = 1, count do
    if t[i] == nil then
      return false
    end
  end
  return true
end

-- Describes a value of the wrong type in JSON terms, for the message a human reads.
local function kind_of(value)
  if value == nil then
    return "missing"
  end
  if type(value) == "table" then
    if next(value) ~= nil and is_list(value) then
      return "a list"
    end
    return "an object"
  end
  return "a " .. type(value)
end

local function is_true(condition)
  return condition ~= nil and condition.status == "True"
end

-- "Reason: message", the way the operator's own printer columns and events read.
local function describe(condition)
  local message = condition.message
  if message == nil or message == "" then
    return condition.reason
  end
  return condition.reason .. ": " .. message
end

local function deletion_message(finalizers)
  local names = {}
  if type(finalizers) == "table" then
    for _, name in ipairs(finalizers) do
      if type(name) == "string" then
        table.insert(names, name)
      end
    end
  end
  if #names == 0 then
    return "being deleted"
  end
  return "being deleted; waiting for finalizers: " .. table.concat(names, ", ")
end

local function evaluate(resource)
  if type(resource) ~= "table" or (next(resource) ~= nil and is_list(resource)) then
    return malformed("the object is " .. kind_of(resource))
  end
  local metadata = resource.metadata
  if metadata == nil then
    metadata = {}
  elseif type(metadata) ~= "table" or (next(metadata) ~= nil and is_list(metadata)) then
    return malformed("metadata is " .. kind_of(metadata) .. ", expected an object")
  end

  -- Nothing will be applied any more: hold the wave until the object is gone, whatever status it has.
  -- Up to v3.5 Argo CD answers "Pending deletion" for such an object itself and never runs this script. From
  -- v3.6 it runs it and shows `deletionMessage` (without one, its own "Pending deletion; blocked by finalizers").
  if metadata.deletionTimestamp ~= nil then
    local result = health("Progressing", deletion_message(metadata.finalizers))
    result.deletionMessage = result.message
    return result
  end

  local generation = metadata.generation
  if generation ~= nil and type(generation) ~= "number" then
    return malformed("metadata.generation is " .. kind_of(generation) .. ", expected a number")
  end

  local status = resource.status
  if status == nil then
    return health("Progressing", "waiting for the Atlas operator to pick up this " .. KIND)
  end
  if type(status) ~= "table" or (next(status) ~= nil and is_list(status)) then
    return malformed("status is " .. kind_of(status) .. ", expected an object")
  end

  local observed = status.observedGeneration
  if observed ~= nil and type(observed) ~= "number" then
    return malformed("status.observedGeneration is " .. kind_of(observed) .. ", expected a number")
  end

  local conditions = status.conditions
  if conditions == nil then
    conditions = {}
  elseif type(conditions) ~= "table" or not is_list(conditions) then
    return malformed("status.conditions is " .. kind_of(conditions) .. ", expected a list")
  end

  local ready, ready_at, stalled, reconciling
  for i, condition in ipairs(conditions) do
    local where = "status.conditions[" .. number_text(i) .. "]"
    if type(condition) ~= "table" or (next(condition) ~= nil and is_list(condition)) then
      return malformed(where .. " is " .. kind_of(condition) .. ", expected an object")
    end
    if type(condition.type) ~= "string" then
      return malformed(where .. ".type is " .. kind_of(condition.type) .. ", expected a string")
    end
    if condition.type == "Ready" and ready == nil then
      ready, ready_at = condition, where
    elseif condition.type == "Stalled" and stalled == nil then
      stalled = condition
    elseif condition.type == "Reconciling" and reconciling == nil then
      reconciling = condition
    end
  end

  if ready ~= nil then
    local s = ready.status
    if s ~= "True" and s ~= "False" and s ~= "Unknown" then
      if type(s) == "string" then
        return malformed(ready_at .. '.status is "' .. s .. '", expected True, False or Unknown')
      end
      return malformed(ready_at .. ".status is " .. kind_of(s) .. ", expected a string")
    end
    if type(ready.reason) ~= "string" then
      return malformed(ready_at .. ".reason is " .. kind_of(ready.reason) .. ", expected a string")
    end
    if ready.reason == "" then
      return malformed(ready_at .. ".reason is empty")
    end
    if ready.message ~= nil and type(ready.message) ~= "string" then
      return malformed(ready_at .. ".message is " .. kind_of(ready.message) .. ", expected a string")
    end
    if ready.observedGeneration ~= nil and type(ready.observedGeneration) ~= "number" then
      return malformed(ready_at .. ".observedGeneration is " .. kind_of(ready.observedGeneration) ..
        ", expected a number")
    end
  end

  -- Right after a change in git the object still carries the Ready=True of the previous spec. Only a
  -- matching observedGeneration proves the operator has looked at the current one. Operators before
  -- v0.7.16 publish no observedGeneration anywhere: trust Ready alone there, or they would never be Healthy.
  local ready_observed = nil
  if ready ~= nil then
    ready_observed = ready.observedGeneration
  end
  if observed ~= nil or ready_observed ~= nil then
    if generation == nil then
      return malformed("metadata.generation is missing, so the observed generation cannot be checked")
    end
    local waiting = "waiting for the operator to observe generation " .. number_text(generation)
    if observed ~= nil and observed ~= generation then
      if observed < 1 then
        return health("Progressing", waiting .. " (it has not reconciled this " .. KIND .. " yet)")
      end
      return health("Progressing", waiting .. " (status reflects generation " .. number_text(observed) .. ")")
    end
    if ready_observed ~= nil and ready_observed ~= generation then
      return health("Progressing", waiting .. " (the Ready condition reflects generation " ..
        number_text(ready_observed) .. ")")
    end
  end

  if ready == nil then
    return health("Progressing", "waiting for the Atlas operator to set the Ready condition")
  end
  if ready.status == "True" then
    return health("Healthy", describe(ready))
  end
  if ready.status == "Unknown" then
    return health("Progressing", describe(ready))
  end

  if ready.reason == APPROVAL_REASON then
    -- approval_hint (the kind's file) adds where to review the plan when the message does not say it.
    return health("Suspended", describe(ready) .. approval_hint(status))
  end
  if PENDING_REASONS[ready.reason] then
    return health("Progressing", describe(ready))
  end
  if is_true(stalled) then
    return health("Degraded", describe(ready))
  end
  -- A "still working" reason newer than this script: since v0.7.16 the operator marks those with
  -- Reconciling=True and Stalled=False.
  if is_true(reconciling) then
    return health("Progressing", describe(ready))
  end
  return health("Degraded", describe(ready))
end

-- Last line of defence: a bug above must not become a script error (Unknown, the wave waits forever).
local ok, result = pcall(evaluate, obj)
if ok then
  return result
end
return health("Degraded", "the " .. KIND .. " health check script failed: " .. tostring(result))
