#!/usr/bin/env bash
# kubernetes-schemas.sh CACHE_DIR [K8S_VERSION] — strict JSON schemas of the Kubernetes API for
# kubeconform, offline; prints the schema directory.
#
# Source: the PyPI package kubernetes-validate, which ships the Kubernetes OpenAPI turned into
# JSON schemas (one file per kind plus _definitions.json) for v1.25-v1.37. Its files refer to
# the definitions as "/api/_definitions.json" (its own resolver's URL); kubeconform loads schemas
# from files, so the references are rewritten to the cached _definitions.json. Cached per version.
set -euo pipefail
version="${2:-1.33.0}"
package="${KUBE_SCHEMAS_PYPI:-kubernetes-validate==1.37.0}"
out="${1:?usage: kubernetes-schemas.sh CACHE_DIR [VERSION]}/kubernetes-v$version-strict"
if [ -s "$out/deployment-apps-v1.json" ]; then echo "$out"; exit 0; fi
src="$(uv run --no-project --quiet --with "$package" python -c \
  'import kubernetes_validate, pathlib; print(pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema")')"
[ -d "$src/v$version-local-strict" ] || { echo "kubernetes-schemas: no v$version in $package" >&2; exit 1; }
tmp="$out.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp"
cp "$src/v$version-local-strict/"*.json "$tmp/"
# Absolute file URLs: each file's $id is https://kubernetes.io/..., so a relative reference would
# resolve to kubernetes.io (network) instead of the file beside it.
sed -i "s#\"/api/_definitions.json\##\"file://$out/_definitions.json\##g" "$tmp"/*.json
rm -rf "$out" && mv "$tmp" "$out"
echo "kubernetes-schemas: $(ls "$out" | wc -l) schemas of Kubernetes v$version from $package" >&2
echo "$out"
