-- ardour_session.lua: an Ardour session with the plugins, headless (ardour7-lua, Dummy backend).
-- Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
--
-- Run by ardour_test.py, twice, with the environment saying what to do:
--   MLV2_MODE          "create": a new session at 48 kHz, one MIDI track per plugin (a preset
--                      loaded, controls set) and its capture track, the transport rolled while
--                      recording, the session saved and closed;
--                      "reopen": the saved session loaded, every control printed, rolled while
--                      recording, saved again (Ardour then asks each plugin for its state once
--                      more) and closed
--   MLV2_SESSION_DIR   the session folder (must not exist for "create")
--   MLV2_SESSION_NAME  the session (snapshot) name
--   MLV2_ROLL_SECONDS  how long the transport rolls (from sample 0)
--   MLV2_TRACKS        one line per track: NAME|URI|PRESET_URI|INDEX=VALUE ...|PHRASE
--                      (PRESET_URI may be empty; INDEX is the LV2 port index of a control;
--                      PHRASE, which may be empty, is BEAT:BEATS:NOTE:VELOCITY ... played into
--                      the track while it rolls, as a keyboard would)
-- Every result goes to stdout on lines starting "mlv2 "; any failure raises a Lua error, which
-- makes ardour7-lua exit with status 1. The lines ardour_test.py reads:
--   mlv2 set NAME INDEX VALUE / mlv2 value NAME INDEX VALUE    a control set / read back
--   mlv2 tempo BPM BEATS_PER_BAR BEAT_UNIT RATE TICKS_PER_QUARTER BLOCK_SIZE
--   mlv2 sent NAME SAMPLE STATUS NOTE VELOCITY   a phrase event, sent at that transport sample
--   mlv2 take NAME START_TICK END_TICK START_SAMPLE END_SAMPLE FILE   the new take of a track
--   mlv2 note NAME ON_TICK OFF_TICK ON_SAMPLE OFF_SAMPLE CHANNEL(0-15) NOTE VELOCITY
--
-- What the plugins play is recorded as a user records it: each plugin track "NAME" gets a
-- second MIDI track "NAME capture" whose input is connected to the plugin track's MIDI output;
-- the capture tracks are armed and the session records while it rolls. After the stop the
-- script prints the notes of the new take (the MIDI region Ardour made) in musical time (ticks,
-- Temporal.ticks_per_beat to the quarter) and as session samples through the tempo map.
-- Ardour keeps captured MIDI in musical time only, each event rounded to the nearest tick.
--
-- Ardour 7's Lua cannot send a plugin a patch:Set (Plugin has no set_property binding), so the
-- model file and the chord progression are set the way a user without the plugin's own GUI
-- does it: by loading an LV2 preset that carries them in its state (Plugin:load_preset).
-- Controls are found by port index: Ardour numbers a plugin's parameters by its control ports
-- (nth_parameter(n) gives the port index) and the script never relies on labels.
-- A phrase is played with MidiTrack:write_immediate_event (events in at the track's input, as
-- from its input port): the script waits for the transport to reach each event and Ardour
-- delivers it in the next cycle, so a phrase note lands up to two periods after its beat, not on
-- a sample of its choice (a session script has no sample-accurate way to play into a track, and
-- no binding makes a MIDI region with given notes).

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
	local tname, uri, preset, controls, phrase = line:match("^([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$")
	assert(tname, "bad MLV2_TRACKS line: " .. line)
	local t = { name = tname, uri = uri, preset = preset, controls = {}, phrase = {} }
	for index, value in controls:gmatch("(%d+)=([-%d.eE+]+)") do
		table.insert(t.controls, { index = tonumber(index), value = tonumber(value) })
	end
	for beat, beats, note, velocity in phrase:gmatch("([%d.]+):([%d.]+):(%d+):(%d+)") do
		table.insert(t.phrase, { beat = tonumber(beat), beats = tonumber(beats),
			note = tonumber(note), velocity = tonumber(velocity) })
	end
	table.insert(tracks, t)
end

local function capture_name(t) return t.name .. " capture" end

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

-- A Temporal.Beats as ticks (Lua has no accessor for them: Beats:str() is "beats:ticks").
local function ticks(beats)
	local b, t = beats:str():match("^(-?%d+):(-?%d+)$")
	assert(b, "cannot read the beat time " .. beats:str())
	return tonumber(b) * Temporal.ticks_per_beat + tonumber(t)
end

-- Poll until the transport reaches `sample`; a transport that stops advancing is an error.
local function wait_for_sample(session, sample)
	local last, stalled = -1, 0
	while session:transport_sample() < sample do
		local now = session:transport_sample()
		stalled = (now == last) and stalled + 1 or 0
		last = now
		assert(stalled < 1500, "the transport stopped advancing at sample " .. now)
		ARDOUR.LuaAPI.usleep(2000)
	end
end

-- The plugin tracks' output on the capture tracks' input; true if it already was.
local function connect_capture(session, t)
	local source = session:route_by_name(t.name)
	local capture = session:route_by_name(capture_name(t))
	assert(not capture:isnil(), "no track " .. capture_name(t))
	local out = source:output():midi(0)
	local inp = capture:input():midi(0)
	assert(not out:isnil() and not inp:isnil(), "no MIDI port on " .. t.name .. " or its capture track")
	if inp:connected_to(out:name()) then return true end
	capture:input():disconnect_all(nil)
	assert(capture:input():connect(inp, out:name(), nil) == 0, "cannot connect " .. out:name() .. " to " .. inp:name())
	assert(inp:connected_to(out:name()), inp:name() .. " is not connected to " .. out:name())
	return false
end

local function roll(session)
	local rate = session:nominal_sample_rate()
	local tempo_map = Temporal.TempoMap.read()
	local tempo = tempo_map:tempo_at(Temporal.timepos_t(0)):to_tempo()
	local bpm = tempo:quarter_notes_per_minute()
	local meter = tempo_map:meter_at(Temporal.timepos_t(0))
	print(string.format("mlv2 tempo %.9g %d %d %d %d %.9g", bpm, meter:divisions_per_bar(), meter:note_value(),
		rate, Temporal.ticks_per_beat, session:get_block_size()))

	-- Arm every capture track and the session; remember the takes already there (reopen).
	for _, t in ipairs(tracks) do
		local track = session:route_by_name(capture_name(t)):to_track()
		track:rec_enable_control():set_value(1, PBD.GroupControlDisposition.NoGroup)
		t.old_takes = {}
		for r in track:playlist():region_list():iter() do t.old_takes[r:name()] = true end
	end
	session:maybe_enable_record(false)

	session:request_locate(0, false, ARDOUR.LocateTransportDisposition.MustStop, ARDOUR.TransportRequestSource.TRS_UI)
	sleep(0.2)
	assert(session:transport_sample() == 0, "the transport is at " .. session:transport_sample() .. ", not 0")
	assert(session:record_status() == ARDOUR.Session.RecordState.Enabled, "the session is not record-enabled")
	session:request_roll(ARDOUR.TransportRequestSource.TRS_UI)

	-- The phrases, every note-on and note-off in time order.
	local events = {}
	for _, t in ipairs(tracks) do
		for _, n in ipairs(t.phrase) do
			local on, off = n.beat * 60 / bpm * rate, (n.beat + n.beats) * 60 / bpm * rate
			table.insert(events, { sample = on, track = t, bytes = { 0x90, n.note, n.velocity } })
			table.insert(events, { sample = off, track = t, bytes = { 0x80, n.note, 0 } })
		end
	end
	table.sort(events, function (a, b) return a.sample < b.sample end)
	for _, e in ipairs(events) do
		wait_for_sample(session, e.sample)
		local midi_track = session:route_by_name(e.track.name):to_track():to_midi_track()
		local bytes = C.ByteVector()
		bytes:add(e.bytes)
		assert(midi_track:write_immediate_event(Evoral.EventType.MIDI_EVENT, bytes:size(), bytes:to_array()),
			"cannot play into " .. e.track.name)
		print(string.format("mlv2 sent %s %d %02x %d %d", e.track.name, session:transport_sample(),
			e.bytes[1], e.bytes[2], e.bytes[3]))
	end

	wait_for_sample(session, roll_seconds * rate)
	local rolling = session:transport_rolling()
	local recording = session:actively_recording()
	local sample = session:transport_sample()
	session:request_stop(false, false, ARDOUR.TransportRequestSource.TRS_UI)
	sleep(0.5)
	assert(rolling, "the transport was not rolling")
	assert(recording, "the session was not recording")
	assert(not session:transport_rolling(), "the transport did not stop")
	print(string.format("mlv2 rolled %.1f s, stopped at sample %d", roll_seconds, sample))

	-- The new take of each capture track (written by Ardour's butler after the stop).
	for _, t in ipairs(tracks) do
		local track = session:route_by_name(capture_name(t)):to_track()
		local take
		for _ = 1, 50 do
			for r in track:playlist():region_list():iter() do
				if not t.old_takes[r:name()] then take = r end
			end
			if take then break end
			sleep(0.1)
		end
		assert(take, "no new take on " .. capture_name(t))
		track:rec_enable_control():set_value(0, PBD.GroupControlDisposition.NoGroup)
		-- Note times count from the start of the take's source; the region starts at its
		-- position on the timeline, `start` into the source.
		local position = take:position():beats()
		local start = take:start():beats()
		local take_end = position + take:length():beats()
		local path = "?"
		for source in take:master_sources():iter() do path = source:to_filesource():path() end
		print(string.format("mlv2 take %s %d %d %d %d %s", t.name, ticks(position), ticks(take_end),
			take:position():samples(), tempo_map:sample_at_beats(take_end), path))
		for n in ARDOUR.LuaAPI.note_list(take:to_midiregion():model()):iter() do
			local on = position + n:time() - start
			local off = on + n:length()
			print(string.format("mlv2 note %s %d %d %d %d %d %d %d", t.name, ticks(on), ticks(off),
				tempo_map:sample_at_beats(on), tempo_map:sample_at_beats(off), n:channel(), n:note(), n:velocity()))
		end
	end
	session:disable_record(false, false)
end

local backend = AudioEngine:set_backend("None (Dummy)", "", "")
assert(backend and AudioEngine:current_backend_name() == "Dummy",
	"no Dummy backend (current: " .. tostring(AudioEngine:current_backend_name()) .. ")")

local midi1 = ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1)
local session
if mode == "create" then
	session = create_session(dir, name, 48000)
	assert(session, "cannot create the session in " .. dir)
	print("mlv2 created " .. session:path() .. " at " .. session:nominal_sample_rate() .. " Hz")
	for _, t in ipairs(tracks) do
		local info = ARDOUR.LuaAPI.new_plugin_info(t.uri, ARDOUR.PluginType.LV2)
		assert(not info:isnil(), "Ardour does not know the plugin " .. t.uri .. " (LV2_PATH?)")
		local list = session:new_midi_track(midi1, midi1, true, info, nil, nil, 1, t.name,
			ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
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
		-- The capture track: a plain MIDI track (no instrument) fed by the plugin track.
		list = session:new_midi_track(midi1, midi1, true, ARDOUR.PluginInfo(), nil, nil, 1, capture_name(t),
			ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
		assert(list:size() == 1, "cannot add the track " .. capture_name(t))
		connect_capture(session, t)
		print("mlv2 capture track " .. capture_name(t) .. " records " .. t.name)
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
		assert(connect_capture(session, t), "the reopened session lost the connection " .. t.name ..
			" -> " .. capture_name(t))
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
