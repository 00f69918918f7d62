#!/bin/sh
# Fails when gofmt would change a Go file of the module, and names them.
# The files are those `go list ./...` knows (the packages go vet and
# staticcheck check, with their tests and the files other build tags or
# platforms select, the interop and natlab tests among them), so build
# directories and testdata are left out.
#
#   sh tests/lint/gofmt.sh [GO]     from the module's root
set -eu
go=${1:-go}
gofmt="$("$go" env GOROOT)/bin/gofmt"
files=$("$go" list -e -tags interop,natlab -f '{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .CgoFiles}}{{$d}}/{{.}}
{{end}}{{range .TestGoFiles}}{{$d}}/{{.}}
{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}
{{end}}{{range .IgnoredGoFiles}}{{$d}}/{{.}}
{{end}}{{range .InvalidGoFiles}}{{$d}}/{{.}}
{{end}}' ./... | sort -u)
if [ -z "$files" ]; then
  echo "gofmt.sh: go list found no Go files" >&2
  exit 1
fi
bad=$(printf '%s\n' "$files" | tr '\n' '\0' | xargs -0 "$gofmt" -l)
if [ -n "$bad" ]; then
  echo "gofmt -l lists these files (run gofmt -w on them):"
  printf '%s\n' "$bad"
  exit 1
fi
echo "gofmt: $(printf '%s\n' "$files" | wc -l) Go files, all formatted"
