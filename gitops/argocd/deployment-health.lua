-- Argo CD health of an apps/v1 Deployment that autocanary may hold under a
-- canary, for resource.customizations.health.apps_Deployment. A customization
-- replaces Argo CD's built-in check for every Deployment, so this one keeps
-- the built-in rules (paused, rollout in progress, progress deadline) and adds
-- the canary's: while a pending revision rolls out as a canary the Deployment
-- is Progressing, Suspended while it waits for approval or is paused, and
-- Degraded with the reason once it is aborted. Lua 5.1 (gopher-lua).
local hs = {}
local metadata = obj.metadata or {}
local annotations = metadata.annotations or {}
local spec = obj.spec or {}
local status = obj.status or {}

local function condition(kind)
  if status.conditions == nil then return nil end
  for _, c in ipairs(status.conditions) do
    if c.type == kind then return c end
  end
  return nil
end

local pending = annotations["autocanary.io/pending-revision"]
local failed = annotations["autocanary.io/failed-revision"]
local canary = condition("Canary")

if pending ~= nil and failed ~= nil and pending == failed then
  hs.status = "Degraded"
  hs.message = "canary of revision " .. pending .. " aborted"
  if canary ~= nil and canary.message ~= nil and canary.message ~= "" then
    hs.message = hs.message .. ": " .. canary.message
  end
  return hs
end

if pending ~= nil then
  local reason = ""
  local message = ""
  if canary ~= nil then
    reason = canary.reason or ""
    message = canary.message or ""
  end
  if reason == "Failed" or reason == "Aborting" then
    hs.status = "Degraded"
    hs.message = "canary of revision " .. pending .. " aborted"
  elseif reason == "WaitingForApproval" then
    hs.status = "Suspended"
    hs.message = "canary of revision " .. pending .. " waits for approval: kubectl autocanary promote " ..
      (metadata.name or "")
  elseif reason == "Paused" then
    hs.status = "Suspended"
    hs.message = "canary of revision " .. pending .. " paused: kubectl autocanary resume " .. (metadata.name or "")
  else
    hs.status = "Progressing"
    hs.message = "canary of revision " .. pending .. " in progress"
    if reason ~= "" then hs.message = hs.message .. " (" .. reason .. ")" end
  end
  if message ~= "" then hs.message = hs.message .. ": " .. message end
  return hs
end

-- No canary: Argo CD's own Deployment rules.
if spec.paused == true then
  hs.status = "Suspended"
  hs.message = "Deployment is paused"
  return hs
end
if (metadata.generation or 0) > (status.observedGeneration or 0) then
  hs.status = "Progressing"
  hs.message = "Waiting for rollout to finish: observed deployment generation less than desired generation"
  return hs
end
local progressing = condition("Progressing")
if progressing ~= nil and progressing.reason == "ProgressDeadlineExceeded" then
  hs.status = "Degraded"
  hs.message = "Deployment " .. (metadata.name or "") .. " has exceeded its progress deadline"
  return hs
end
local replicas = spec.replicas
if replicas == nil then replicas = 1 end
local updated = status.updatedReplicas or 0
local total = status.replicas or 0
local available = status.availableReplicas or 0
if updated < replicas then
  hs.status = "Progressing"
  hs.message = "Waiting for rollout to finish: " .. updated .. " out of " .. replicas .. " new replicas have been updated..."
elseif total > updated then
  hs.status = "Progressing"
  hs.message = "Waiting for rollout to finish: " .. (total - updated) .. " old replicas are pending termination..."
elseif available < updated then
  hs.status = "Progressing"
  hs.message = "Waiting for rollout to finish: " .. available .. " of " .. updated .. " updated replicas are available..."
else
  hs.status = "Healthy"
  hs.message = ""
  if canary ~= nil and canary.status == "True" and canary.message ~= nil and canary.message ~= "" then
    hs.message = canary.message
  end
end
return hs
