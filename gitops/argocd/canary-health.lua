-- Argo CD health of an autocanary Canary (autocanary.io/v1alpha1), for
-- resource.customizations.health.autocanary.io_Canary. Lua 5.1, as gopher-lua
-- runs it; reads only the object Argo CD passes in as `obj`.
local hs = {}
local status = obj.status
local spec = obj.spec or {}

local function step_text(s)
  local text = "step " .. tostring((s.currentStep or 0) + 1)
  local total = 0
  if s.policy ~= nil and s.policy.spec ~= nil and s.policy.spec.steps ~= nil then
    total = #s.policy.spec.steps
  end
  if total > 0 then text = text .. "/" .. tostring(total) end
  if s.stepDescription ~= nil and s.stepDescription ~= "" then
    text = text .. " (" .. s.stepDescription .. ")"
  end
  return text
end

local function with_message(text, s)
  if s.message ~= nil and s.message ~= "" then return text .. ": " .. s.message end
  return text
end

if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the coordinator to start the canary"
  return hs
end

local phase = status.phase
local revision = status.revision or "?"
if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = with_message("revision " .. revision .. " promoted", status)
elseif phase == "Cancelled" then
  hs.status = "Healthy"
  hs.message = with_message("revision " .. revision .. " cancelled; the stable revision stays", status)
elseif phase == "Failed" or phase == "Aborting" then
  hs.status = "Degraded"
  hs.message = with_message("revision " .. revision .. " aborted", status)
elseif phase == "WaitingForApproval" then
  hs.status = "Suspended"
  hs.message = "revision " .. revision .. " waits for approval at " .. step_text(status) ..
    ": kubectl autocanary promote " .. obj.metadata.name
elseif phase == "Paused" or spec.paused == true then
  hs.status = "Suspended"
  hs.message = "revision " .. revision .. " paused at " .. step_text(status) ..
    ": kubectl autocanary resume " .. obj.metadata.name
else
  hs.status = "Progressing"
  hs.message = "revision " .. revision .. " " .. phase .. " at " .. step_text(status) ..
    ", weight " .. tostring(status.canaryWeight or 0) .. "%"
end
return hs
