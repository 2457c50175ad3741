"""The Julia adapter: a warm julia (worker.jl) per worker, tables as vectors of Dicts."""
