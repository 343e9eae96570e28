-- SPDX-License-Identifier: MIT
-- Debian's lua5.4: files in /tmp, string handling, a JSON encoder/decoder, hashing (FNV-1a and
-- a CRC-32 in Lua), dates from fixed timestamps, seeded random numbers, coroutines, errors and
-- the exit status. Prints only deterministic values: compared with the same run natively.
-- os.tmpname() gives a unique file name; use it as the base of everything we create.
local base = os.tmpname()
print("tmpname in /tmp", base:sub(1, 5) == "/tmp/")

-- Files: write, append, read lines, seek, binary data, rename, remove.
local path = base .. ".txt"
local f = assert(io.open(path, "w"))
for i = 0, 999 do f:write(string.format("line %d %s\n", i, string.rep("x", i % 13))) end
f:close()
f = assert(io.open(path, "a"))
f:write("the end\n")
f:close()
local count, last = 0, nil
for line in io.lines(path) do
    count = count + 1
    last = line
end
print("lines", count, last)
f = assert(io.open(path, "rb"))
print("size", f:seek("end"))
f:seek("set", 100)
print("seek", f:read(20))
f:close()
assert(os.rename(path, base .. ".moved"))
print("old name gone", io.open(path) == nil)
local ok, err, code = io.open("/nonexistent/dir/file")
print("open error", ok, err, code)
local bin = base .. ".bin"
f = assert(io.open(bin, "wb"))
local bytes = {}
for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
f:write(string.rep(table.concat(bytes), 16))
f:close()
f = assert(io.open(bin, "rb"))
local data = f:read("a")
f:close()
print("binary", #data, data:byte(1), data:byte(256), data:byte(4096))

-- Hashing.
local function fnv1a(s)
    local h = 0xcbf29ce484222325
    for i = 1, #s do
        h = h ~ s:byte(i)
        h = h * 0x100000001b3
    end
    return string.format("%016x", h)
end
local crc_table = {}
for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
        if c & 1 == 1 then c = 0xedb88320 ~ (c >> 1) else c = c >> 1 end
    end
    crc_table[i] = c
end
local function crc32(s)
    local c = 0xffffffff
    for i = 1, #s do c = crc_table[(c ~ s:byte(i)) & 0xff] ~ (c >> 8) end
    return c ~ 0xffffffff
end
print("fnv1a", fnv1a("wisp"), fnv1a(data))
print("crc32", crc32("hello world"), crc32(data))

-- JSON: a small encoder (sorted keys) and decoder, round trip.
local function encode(v)
    local t = type(v)
    if t == "table" then
        if #v > 0 or next(v) == nil then
            local parts = {}
            for i = 1, #v do parts[i] = encode(v[i]) end
            return "[" .. table.concat(parts, ",") .. "]"
        end
        local keys = {}
        for k in pairs(v) do keys[#keys + 1] = k end
        table.sort(keys)
        local parts = {}
        for _, k in ipairs(keys) do parts[#parts + 1] = encode(k) .. ":" .. encode(v[k]) end
        return "{" .. table.concat(parts, ",") .. "}"
    elseif t == "string" then
        return '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
    elseif t == "number" then
        return math.type(v) == "integer" and tostring(v) or string.format("%.14g", v)
    else
        return tostring(v)
    end
end
local function decode(s)
    local pos = 1
    local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
    local value
    local function str()
        local out = {}
        assert(s:sub(pos, pos) == '"', "expected a string at " .. pos)
        pos = pos + 1
        while true do
            local c = s:sub(pos, pos)
            if c == '"' then pos = pos + 1; return table.concat(out) end
            assert(c ~= "", "unterminated string")
            if c == "\\" then
                local e = s:sub(pos + 1, pos + 1)
                if e == "u" then
                    out[#out + 1] = utf8.char(tonumber(s:sub(pos + 2, pos + 5), 16))
                    pos = pos + 6
                else
                    out[#out + 1] = ({n = "\n", t = "\t", ['"'] = '"', ["\\"] = "\\"})[e]
                    pos = pos + 2
                end
            else
                out[#out + 1] = c
                pos = pos + 1
            end
        end
    end
    function value()
        ws()
        local c = s:sub(pos, pos)
        if c == "{" then
            local obj = {}
            pos = pos + 1
            ws()
            if s:sub(pos, pos) == "}" then pos = pos + 1; return obj end
            while true do
                ws()
                local k = str()
                ws()
                assert(s:sub(pos, pos) == ":", "expected ':' at " .. pos)
                pos = pos + 1
                obj[k] = value()
                ws()
                local d = s:sub(pos, pos)
                pos = pos + 1
                if d == "}" then return obj end
                assert(d == ",", "expected ',' at " .. (pos - 1))
            end
        elseif c == "[" then
            local arr = {}
            pos = pos + 1
            ws()
            if s:sub(pos, pos) == "]" then pos = pos + 1; return arr end
            while true do
                arr[#arr + 1] = value()
                ws()
                local d = s:sub(pos, pos)
                pos = pos + 1
                if d == "]" then return arr end
                assert(d == ",", "expected ',' at " .. (pos - 1))
            end
        elseif c == '"' then
            return str()
        elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4; return true
        elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5; return false
        else
            local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
            assert(num and #num > 0, "unexpected character at " .. pos)
            pos = pos + #num
            return math.tointeger(tonumber(num)) or tonumber(num)
        end
    end
    return value()
end
local doc = {name = "wisp", numbers = {1, 2.5, -3}, nested = {ok = true, text = "a\"b"}}
local json = encode(doc)
print("json", json)
print("json round trip", encode(decode(json)) == json)
local okj, errj = pcall(decode, "{bad")
print("json error", okj, (errj:gsub("^.-:%d+: ", "")))

-- Dates from fixed timestamps, in UTC ('!' formats): no dependence on the clock or zone.
local t = 1700000000
print("date", os.date("!%Y-%m-%d %H:%M:%S %A %j", t))
local d = os.date("!*t", t)
print("date table", d.year, d.month, d.day, d.hour, d.wday, d.yday, d.isdst)
print("difftime", os.difftime(t + 86400, t))
print("clock ok", os.clock() >= 0, os.time() > 1600000000)

-- Random numbers with a fixed seed (xoshiro256** in Lua 5.4: the same on every machine).
math.randomseed(42)
local r = {}
for i = 1, 6 do r[i] = math.random(1, 1000) end
print("random", table.concat(r, " "), string.format("%.6f", math.random()))

-- Numbers, strings, tables, coroutines.
print("math", math.maxinteger, math.mininteger, 7 // 2, 7 % -3, 2^53, math.pi, 1/0, -1/0)
print("integer overflow wraps", math.maxinteger + 1 == math.mininteger)
print("string", ("Hello"):upper(), ("a,b,,c"):gsub(",", ";"), ("%5.2f|%-5s|%x"):format(3.14159, "ab", 255))
print("pattern", ("key=value; other=thing"):match("(%w+)=(%w+)"))
local words = {}
for w in ("the quick brown fox jumps"):gmatch("%a+") do words[#words + 1] = w end
table.sort(words, function(a, b) return #a < #b or (#a == #b and a < b) end)
print("sort", table.concat(words, ","))
local gen = coroutine.wrap(function()
    for i = 1, 3 do coroutine.yield(i * i) end
    return "done"
end)
print("coroutine", gen(), gen(), gen(), gen())
print("utf8", utf8.len("h\u{e9}llo \u{2603}"), utf8.char(0x2603))

-- Errors.
local ok1, e1 = pcall(function() error({code = 42}) end)
print("error table", ok1, e1.code)
local ok2, e2 = pcall(function() local x = nil; return x.field end)
print("error message", ok2, (e2:gsub("^.-:%d+: ", "")))
print("xpcall", xpcall(function() error("deep", 0) end, function(m) return "handled: " .. m end))

-- Clean up; leave with a status the test compares.
os.remove(base .. ".moved")
os.remove(bin)
os.remove(base)
print("removed", io.open(bin) == nil)
io.stdout:flush()
os.exit(5)
