#!/usr/bin/env bash
# Install Swagger UI and ReDoc (pinned in package-lock.json) and copy the files the /docs and
# /redoc pages load, with their licences, into rujukan_platform/static/. The services serve them
# from there, so the pages need no CDN. A no-op when the copy matches the lock file.
# Run by deploy/local/install-python.sh and by the image build (deploy/compose/Dockerfile).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../src/rujukan_platform/static"
stamp="$out/.installed"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "docs assets: up to date (swagger-ui-dist, redoc)"
  exit 0
fi
# Node and npm come with the system packages (deploy/local/install-system.sh; the image's node stage)
command -v npm >/dev/null || { echo "docs assets: ERROR: no npm: run deploy/local/install-system.sh" >&2; exit 1; }
# --ignore-scripts: swagger-ui-dist's dependency @scarf/scarf would report the install otherwise
npm ci --prefix "$here" --omit=peer --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
modules="$here/node_modules"
rm -rf "$out"
mkdir -p "$out/swagger-ui" "$out/redoc"
swagger="$modules/swagger-ui-dist"  # with the licences of the code the bundles carry
cp "$swagger/"{swagger-ui-bundle.js,swagger-ui-bundle.js.LICENSE.txt,swagger-ui.css} "$out/swagger-ui/"
cp "$swagger/"{favicon-32x32.png,LICENSE,NOTICE} "$out/swagger-ui/"
cp "$modules/redoc/bundles/"{redoc.standalone.js,redoc.standalone.js.LICENSE.txt} "$out/redoc/"
cp "$modules/redoc/LICENSE" "$out/redoc/"
echo "$want" >"$stamp"
echo "docs assets: swagger-ui-dist $(node -p "require('$modules/swagger-ui-dist/package.json').version")," \
  "redoc $(node -p "require('$modules/redoc/package.json').version") copied to ${out#"$here/../"}"
