"""The Go adapter: a node's code is the body of `run(in Inputs) (any, error)`, built once per code hash (omnix.go is the support code compiled into each node)."""
