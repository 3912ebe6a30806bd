-- figure 9's custom admission rule (docs/policy.md): what a site rule looks
-- like, walking the mounts and the capabilities of the config.
return function(config, ctx)
  local found = {}
  for i, m in ipairs(config.mounts or {}) do
    if m.type == "bind" and m.source:match("^/srv/secret") then
      found[#found + 1] = {field = "mounts[" .. (i - 1) .. "]", reason = "no secrets"}
    end
  end
  local caps = config.process.capabilities or {}
  for _, c in ipairs(caps.bounding or {}) do
    if c == "CAP_SYS_ADMIN" then found[#found + 1] = "no CAP_SYS_ADMIN" end
  end
  return found
end
