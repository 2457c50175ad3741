# The Julia runtime of Omnix: a warm julia that runs node after node (docs/languages.md).
#
# Reads one request per line on stdin (the typed exchange of
# omnix.agent.workers.child.external.exchange), evaluates the node's code in a fresh module
# with its upstream outputs bound to their ids and `params`, and writes one reply line on the
# descriptor named by OMNIX_REPLY_FD. stdout and stderr are the node's log. Standard library
# only: the JSON reader and writer are below.

using Dates

const REPLIES = open(RawFD(parse(Cint, ENV["OMNIX_REPLY_FD"])))
delete!(ENV, "OMNIX_REPLY_FD")

# ---- JSON ------------------------------------------------------------------------------

mutable struct Reader
    s::String
    i::Int
end

skipspace(r::Reader) = while r.i <= ncodeunits(r.s) && r.s[r.i] in (' ', '\t', '\r', '\n'); r.i = nextind(r.s, r.i); end
peekc(r::Reader) = r.s[r.i]

function readvalue(r::Reader)
    skipspace(r)
    c = peekc(r)
    if c == '{'
        r.i += 1
        out = Dict{String,Any}()
        keys = String[]
        skipspace(r)
        if peekc(r) == '}'
            r.i += 1
            return out
        end
        while true
            skipspace(r)
            key = readstring(r)
            skipspace(r)
            peekc(r) == ':' || error("bad JSON: expected ':' at $(r.i)")
            r.i += 1
            out[key] = readvalue(r)
            skipspace(r)
            c = peekc(r)
            r.i += 1
            c == '}' && return out
            c == ',' || error("bad JSON: expected ',' at $(r.i)")
        end
    elseif c == '['
        r.i += 1
        out = Any[]
        skipspace(r)
        if peekc(r) == ']'
            r.i += 1
            return out
        end
        while true
            push!(out, readvalue(r))
            skipspace(r)
            c = peekc(r)
            r.i += 1
            c == ']' && return out
            c == ',' || error("bad JSON: expected ',' at $(r.i)")
        end
    elseif c == '"'
        return readstring(r)
    elseif startswith(SubString(r.s, r.i), "true")
        r.i += 4; return true
    elseif startswith(SubString(r.s, r.i), "false")
        r.i += 5; return false
    elseif startswith(SubString(r.s, r.i), "null")
        r.i += 4; return nothing
    end
    start = r.i
    while r.i <= ncodeunits(r.s) && r.s[r.i] in "+-0123456789.eE"
        r.i += 1
    end
    text = r.s[start:r.i-1]
    if occursin(r"[.eE]", text)
        return parse(Float64, text)
    end
    value = tryparse(Int64, text)
    return value === nothing ? parse(BigInt, text) : value
end

function readstring(r::Reader)
    peekc(r) == '"' || error("bad JSON: expected a string at $(r.i)")
    r.i += 1
    io = IOBuffer()
    while true
        c = r.s[r.i]
        if c == '"'
            r.i += 1
            return String(take!(io))
        elseif c == '\\'
            r.i += 1
            e = r.s[r.i]
            if e == 'u'
                code = parse(UInt16, r.s[r.i+1:r.i+4]; base=16)
                r.i += 4
                if 0xd800 <= code <= 0xdbff  # a surrogate pair
                    low = parse(UInt16, r.s[r.i+3:r.i+6]; base=16)
                    r.i += 6
                    write(io, Char(0x10000 + ((UInt32(code) - 0xd800) << 10) + (UInt32(low) - 0xdc00)))
                else
                    write(io, Char(code))
                end
            else
                write(io, get(Dict('n' => '\n', 't' => '\t', 'r' => '\r', 'b' => '\b', 'f' => '\f'), e, e))
            end
            r.i += 1
        else
            write(io, c)
            r.i = nextind(r.s, r.i)
        end
    end
end

parsejson(text::AbstractString) = readvalue(Reader(String(text), 1))

function writestring(io::IO, s::AbstractString)
    write(io, '"')
    for c in s
        if c == '"'
            write(io, "\\\"")
        elseif c == '\\'
            write(io, "\\\\")
        elseif c == '\n'
            write(io, "\\n")
        elseif c == '\r'
            write(io, "\\r")
        elseif c == '\t'
            write(io, "\\t")
        elseif c < ' '
            write(io, "\\u", string(UInt16(c); base=16, pad=4))
        else
            write(io, c)
        end
    end
    write(io, '"')
end

writefloat(io::IO, x::Float64) = write(io, string(x))  # shortest digits that read back as x

function writejson(io::IO, x)
    if x === nothing || x === missing
        write(io, "null")
    elseif x isa Bool
        write(io, x ? "true" : "false")
    elseif x isa Integer
        write(io, string(x))
    elseif x isa AbstractFloat
        isfinite(x) || error("the output contains NaN or Inf, which JSON cannot hold; replace them or return a table")
        writefloat(io, Float64(x))
    elseif x isa AbstractString || x isa Symbol || x isa Char
        writestring(io, string(x))
    elseif x isa Dates.TimeType
        writestring(io, string(x))
    elseif x isa AbstractDict || x isa NamedTuple
        write(io, '{')
        first = true
        for (k, v) in pairs(x)
            first || write(io, ',')
            first = false
            writestring(io, string(k))
            write(io, ':')
            writejson(io, v)
        end
        write(io, '}')
    elseif x isa AbstractVector || x isa Tuple
        write(io, '[')
        for (i, v) in enumerate(x)
            i > 1 && write(io, ',')
            writejson(io, v)
        end
        write(io, ']')
    else
        error("the output holds a $(typeof(x)), which is neither a table nor JSON")
    end
end

# ---- the exchange ----------------------------------------------------------------------

const PER_SECOND = Dict("s" => 1, "ms" => 1_000, "us" => 1_000_000, "ns" => 1_000_000_000)
const EPOCH = DateTime(1970, 1, 1)

function decodevalue(column::Dict{String,Any}, raw)
    raw === nothing && return nothing
    kind = column["type"]
    if kind == "int64"
        return parse(Int64, raw)
    elseif kind == "float64"
        raw isa AbstractString && return Dict("NaN" => NaN, "Infinity" => Inf, "-Infinity" => -Inf)[raw]
        return Float64(raw)
    elseif kind == "bool" || kind == "string"
        return raw
    elseif kind == "date"
        return Date(1970, 1, 1) + Day(raw)
    elseif kind == "timestamp"
        ticks = parse(Int64, raw)
        per = PER_SECOND[column["unit"]]
        if per > 1000 && ticks % (per ÷ 1000) != 0
            error("column '$(column["name"])' has timestamps finer than a millisecond, which Julia's DateTime cannot hold; round them upstream")
        end
        return EPOCH + Millisecond(per >= 1000 ? ticks ÷ (per ÷ 1000) : ticks * (1000 ÷ per))
    elseif kind == "null"
        return nothing
    end
    error("unknown exchange type $kind")
end

function decodetable(input::Dict{String,Any})
    n = input["nrows"]
    rows = [Dict{String,Any}() for _ in 1:n]
    for column in input["columns"]
        for (i, raw) in enumerate(column["values"])
            rows[i][column["name"]] = decodevalue(column, raw)
        end
    end
    rows
end

function kindof(x)
    x === nothing || x === missing ? "" :
    x isa Bool ? "bool" :
    x isa Integer ? "int64" :
    x isa AbstractFloat ? "float64" :
    x isa AbstractString ? "string" :
    x isa Date ? "date" :
    x isa DateTime ? "timestamp" :
    error("a $(typeof(x)) cannot be a table value (use Int64, Float64, Bool, String, Date, DateTime or nothing)")
end

function writecell(io::IO, kind, x)
    if x === nothing || x === missing
        write(io, "null")
    elseif kind == "int64"
        (typemin(Int64) <= x <= typemax(Int64)) || error("$x is beyond int64's range")
        write(io, '"', string(x), '"')
    elseif kind == "float64"
        isnan(x) ? write(io, "\"NaN\"") : isinf(x) ? write(io, x > 0 ? "\"Infinity\"" : "\"-Infinity\"") : writefloat(io, Float64(x))
    elseif kind == "bool"
        write(io, x ? "true" : "false")
    elseif kind == "string"
        writestring(io, x)
    elseif kind == "date"
        write(io, string(Dates.value(x - Date(1970, 1, 1))))
    else
        write(io, '"', string(Dates.value(x - EPOCH)), '"')
    end
end

istable(x) = x isa AbstractVector && !isempty(x) && all(r -> r isa AbstractDict || r isa NamedTuple, x)

function writetable(io::IO, rows, upstream::Vector{String})
    seen = String[]
    for row in rows, key in keys(row)
        name = string(key)
        name in seen || push!(seen, name)
    end
    names = vcat(filter(n -> n in seen, unique(upstream)), filter(n -> !(n in upstream), seen))
    write(io, "{\"ok\":true,\"kind\":\"table\",\"nrows\":", string(length(rows)), ",\"columns\":[")
    for (c, name) in enumerate(names)
        kind, at = "", 0
        for (i, row) in enumerate(rows)
            k = kindof(get(row, row isa NamedTuple ? Symbol(name) : name, nothing))
            isempty(k) && continue
            if isempty(kind)
                kind, at = k, i
            elseif k != kind
                error("column '$name' mixes $kind (row $(at - 1)) and $k (row $(i - 1)); convert the values to one type")
            end
        end
        kind = isempty(kind) ? "null" : kind
        c > 1 && write(io, ',')
        write(io, "{\"name\":")
        writestring(io, name)
        write(io, ",\"type\":\"", kind, "\"")
        kind == "timestamp" && write(io, ",\"unit\":\"ms\",\"tz\":null")
        write(io, ",\"values\":[")
        for (i, row) in enumerate(rows)
            i > 1 && write(io, ',')
            writecell(io, kind, get(row, row isa NamedTuple ? Symbol(name) : name, nothing))
        end
        write(io, "]}")
    end
    write(io, "]}")
end

# ---- running a node ----------------------------------------------------------------------

function failure(message, traceback="")
    io = IOBuffer()
    write(io, "{\"ok\":false,\"message\":")
    writestring(io, message)
    write(io, ",\"traceback\":")
    writestring(io, traceback)
    write(io, '}')
    String(take!(io))
end

function nodeline(trace, file)
    for frame in trace
        string(frame.file) == file && return frame.line
    end
    nothing
end

function runnode(request::Dict{String,Any})
    node = request["node"]
    file = "$(node).jl"
    scope = Module(Symbol("node_", node))
    Core.eval(scope, :(using Dates))
    Core.eval(scope, :(params = $(request["params"])))
    upstream = String[]
    for input in request["inputs"]
        value = if input["kind"] == "table"
            append!(upstream, [c["name"] for c in input["columns"]])
            decodetable(input)
        else
            input["value"]
        end
        Core.eval(scope, :($(Symbol(input["name"])) = $value))
    end
    code = request["code"]
    value = nothing
    position = 1
    while position <= ncodeunits(code)
        expr, next = try
            Meta.parse(code, position; filename=file)
        catch e
            return failure("JuliaParseError: $(sprint(showerror, e))")
        end
        expr === nothing && break
        if expr isa Expr && expr.head in (:error, :incomplete)
            line = count(==('\n'), SubString(code, 1, prevind(code, position))) + 1
            return failure("JuliaParseError: line $line: $(expr.args[1])")
        end
        try
            value = Core.eval(scope, expr)
        catch e
            trace = stacktrace(catch_backtrace())
            line = nodeline(trace, file)
            where = line === nothing ? "" : "line $line: "
            return failure("$(typeof(e)): $where$(sprint(showerror, e))", sprint(Base.show_backtrace, trace))
        end
        position = next
    end
    io = IOBuffer()
    try
        if istable(value)
            writetable(io, value, upstream)
        else
            write(io, "{\"ok\":true,\"kind\":\"json\",\"value\":")
            writejson(io, value)
            write(io, '}')
        end
    catch e
        return failure("ExchangeError: the output: $(sprint(showerror, e))")
    end
    String(take!(io))
end

function withscope(body, request)
    saved = Dict(k => get(ENV, k, nothing) for k in keys(request["env"]))
    for (k, v) in request["env"]
        ENV[k] = v
    end
    old = pwd()
    try
        request["workdir"] === nothing || cd(request["workdir"])
        body()
    finally
        cd(old)
        for (k, v) in saved
            v === nothing ? delete!(ENV, k) : (ENV[k] = v)
        end
    end
end

function send(text)
    flush(stdout)
    flush(stderr)
    write(REPLIES, text, '\n')
    flush(REPLIES)
end

send("ready")
for line in eachline(stdin)
    reply = try
        request = parsejson(line)
        withscope(() -> runnode(request), request)
    catch e
        failure("the Julia worker failed: $(sprint(showerror, e))")
    end
    send(reply)
end
