#!/bin/sh
# Regenerate the Python code for omnix.v1 from the .proto files.
# Usage: proto/generate.sh [OUT_DIR]   (default: proto/, i.e. in place)
# The generated files are checked in; tests/agent/api/test_proto.py fails when they drift.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
python="${PYTHON:-python3}"
mkdir -p "$out/omnix/v1"
"$python" -m grpc_tools.protoc -I "$here" \
    --python_out="$out" --grpc_python_out="$out" --pyi_out="$out" \
    "$here"/omnix/v1/*.proto
