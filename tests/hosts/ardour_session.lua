-- ardour_session.lua: an Ardour session with the plugins, headless (ardour7-lua, Dummy backend).
-- Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
--
-- Run by ardour_test.py, twice, with the environment saying what to do:
--   MLV2_MODE          "create": a new session at 48 kHz, one MIDI track per plugin, a preset
--                      loaded, controls set, the transport rolled, the session saved and closed;
--                      "reopen": the saved session loaded, every control printed, rolled, saved
--                      again (Ardour then asks each plugin for its state once more) and closed
--   MLV2_SESSION_DIR   the session folder (must not exist for "create")
--   MLV2_SESSION_NAME  the session (snapshot) name
--   MLV2_ROLL_SECONDS  how long the transport rolls
--   MLV2_TRACKS        one line per track: NAME|URI|PRESET_URI|INDEX=VALUE INDEX=VALUE ...
--                      (PRESET_URI may be empty; INDEX is the LV2 port index of a control)
-- Every result goes to stdout on lines starting "mlv2 "; any failure raises a Lua error, which
-- makes ardour7-lua exit with status 1.
--
-- Ardour 7's Lua cannot send a plugin a patch:Set (Plugin has no set_property binding), so the
-- model file and the chord progression are set the way a user without the plugin's own GUI
-- does it: by loading an LV2 preset that carries them in its state (Plugin:load_preset).
-- Controls are found by port index: Ardour numbers a plugin's parameters by its control ports
-- (nth_parameter(n) gives the port index) and the script never relies on labels.

local function env(name)
	local v = os.getenv(name)
	assert(v and v ~= "", "environment variable " .. name .. " not set")
	return v
end

local mode = env("MLV2_MODE")
local dir = env("MLV2_SESSION_DIR")
local name = env("MLV2_SESSION_NAME")
local roll_seconds = tonumber(env("MLV2_ROLL_SECONDS"))

local tracks = {}
for line in env("MLV2_TRACKS"):gmatch("[^\n]+") do
	local tname, uri, preset, controls = line:match("^([^|]*)|([^|]*)|([^|]*)|(.*)$")
	assert(tname, "bad MLV2_TRACKS line: " .. line)
	local t = { name = tname, uri = uri, preset = preset, controls = {} }
	for index, value in controls:gmatch("(%d+)=([-%d.eE+]+)") do
		table.insert(t.controls, { index = tonumber(index), value = tonumber(value) })
	end
	table.insert(tracks, t)
end

-- The parameter number Ardour gives the control port `index` (nil if it is no control).
local function parameter_of_port(plugin, index)
	local n = 0
	while true do
		local port, args = plugin:nth_parameter(n, true)
		if not args[2] then return nil end
		if port == index then return n end
		n = n + 1
	end
end

local function print_controls(tname, proc)
	local plugin = proc:to_insert():plugin(0)
	local n = 0
	while true do
		local port, args = plugin:nth_parameter(n, true)
		if not args[2] then break end
		if plugin:parameter_is_input(port) then
			local value, ok = ARDOUR.LuaAPI.get_processor_param(proc, n, true)
			assert(ok[3], "cannot read parameter " .. n .. " of " .. tname)
			print(string.format("mlv2 value %s %d %.9g", tname, port, value))
		end
		n = n + 1
	end
end

local function roll(session)
	session:request_locate(0, false, ARDOUR.LocateTransportDisposition.MustStop, ARDOUR.TransportRequestSource.TRS_UI)
	sleep(0.2)
	session:request_roll(ARDOUR.TransportRequestSource.TRS_UI)
	sleep(roll_seconds)
	local rolling = session:transport_rolling()
	local sample = session:transport_sample()
	session:request_stop(false, false, ARDOUR.TransportRequestSource.TRS_UI)
	sleep(0.5)
	assert(rolling, "the transport was not rolling")
	assert(not session:transport_rolling(), "the transport did not stop")
	print(string.format("mlv2 rolled %.1f s, stopped at sample %d", roll_seconds, sample))
end

local backend = AudioEngine:set_backend("None (Dummy)", "", "")
assert(backend and AudioEngine:current_backend_name() == "Dummy",
	"no Dummy backend (current: " .. tostring(AudioEngine:current_backend_name()) .. ")")

local session
if mode == "create" then
	session = create_session(dir, name, 48000)
	assert(session, "cannot create the session in " .. dir)
	print("mlv2 created " .. session:path() .. " at " .. session:nominal_sample_rate() .. " Hz")
	for _, t in ipairs(tracks) do
		local info = ARDOUR.LuaAPI.new_plugin_info(t.uri, ARDOUR.PluginType.LV2)
		assert(not info:isnil(), "Ardour does not know the plugin " .. t.uri .. " (LV2_PATH?)")
		local list = session:new_midi_track(
			ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1), ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1),
			true, info, nil, nil, 1, t.name, ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
		assert(list:size() == 1, "cannot add the track " .. t.name)
		local route = session:route_by_name(t.name)
		assert(not route:isnil(), "no route named " .. t.name)
		local proc = route:nth_plugin(0)
		assert(not proc:isnil(), "the track " .. t.name .. " has no plugin")
		local plugin = proc:to_insert():plugin(0)
		assert(plugin:unique_id() == t.uri, "the track's plugin is " .. plugin:unique_id())
		print("mlv2 track " .. t.name .. " " .. plugin:name())
		if t.preset ~= "" then
			local preset = plugin:preset_by_uri(t.preset)
			assert(preset, "Ardour lists no preset " .. t.preset .. " for " .. t.uri)
			assert(plugin:load_preset(preset), "cannot load the preset " .. t.preset)
			print("mlv2 preset " .. t.name .. " " .. t.preset)
			sleep(0.5) -- the plugin's worker loads what the preset names
		end
		for _, c in ipairs(t.controls) do
			local n = parameter_of_port(plugin, c.index)
			assert(n, t.name .. ": port " .. c.index .. " is no control")
			assert(ARDOUR.LuaAPI.set_processor_param(proc, n, c.value),
				t.name .. ": cannot set port " .. c.index .. " to " .. c.value)
			print(string.format("mlv2 set %s %d %.9g", t.name, c.index, c.value))
		end
	end
elseif mode == "reopen" then
	session = load_session(dir, name)
	assert(session, "cannot load the session " .. dir)
	print("mlv2 loaded " .. session:path())
	for _, t in ipairs(tracks) do
		local route = session:route_by_name(t.name)
		assert(not route:isnil(), "the reopened session has no track " .. t.name)
		local proc = route:nth_plugin(0)
		assert(not proc:isnil(), "the track " .. t.name .. " lost its plugin")
		local plugin = proc:to_insert():plugin(0)
		assert(plugin:unique_id() == t.uri, "the track's plugin is " .. plugin:unique_id())
		print("mlv2 track " .. t.name .. " " .. plugin:name())
	end
else
	error("MLV2_MODE must be create or reopen, not " .. mode)
end

for _, t in ipairs(tracks) do
	print_controls(t.name, session:route_by_name(t.name):nth_plugin(0))
end
roll(session)
session:save_state("", false, false, false, false, false)
print("mlv2 saved " .. name .. ".ardour")
close_session()
print("mlv2 closed")
