#!/usr/bin/env bash
# Re-fetches the explorer's third-party files from npm at the pinned versions into assets/npm,
# with their licenses. npm pack checks each tarball against the registry's integrity hash.
# Run it after changing a version below, then run the browser test (go test ./server/explorer/).
set -euo pipefail

# GraphiQL 3.x is the last line that ships a prebuilt browser bundle (graphiql.min.js, a UMD
# build expecting the React and ReactDOM globals); 4.x and later are ES modules for a bundler.
GRAPHIQL=3.9.0
# graphiql 3.9.0 accepts React 16.8 to 18; 18.3.1 is the last React with UMD builds.
REACT=18.3.1

cd "$(dirname "$0")"
dest=assets/npm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # fetch <package> <version>: unpack into $work/<package>
  local pkg=$1 version=$2 tgz
  tgz=$(cd "$work" && npm pack --silent "$pkg@$version")
  mkdir -p "$work/$pkg"
  tar -xzf "$work/$tgz" -C "$work/$pkg" --strip-components=1
}

fetch graphiql "$GRAPHIQL"
fetch react "$REACT"
fetch react-dom "$REACT"

rm -rf "$dest"
mkdir -p "$dest"
cp "$work/graphiql/graphiql.min.js" "$work/graphiql/graphiql.min.css" "$dest/"
cp "$work/graphiql/LICENSE" "$dest/LICENSE.graphiql"
cp "$work/react/umd/react.production.min.js" "$dest/"
cp "$work/react/LICENSE" "$dest/LICENSE.react"
cp "$work/react-dom/umd/react-dom.production.min.js" "$dest/"
cp "$work/react-dom/LICENSE" "$dest/LICENSE.react-dom"
integrity() { npm view "$1@$2" dist.integrity; }
cat >"$dest/VERSIONS" <<VERSIONS
Unmodified files of npm packages, fetched by server/explorer/update-assets.sh (all MIT licensed).
graphiql@$GRAPHIQL ($(integrity graphiql "$GRAPHIQL")):
  graphiql.min.js, graphiql.min.css, LICENSE -> LICENSE.graphiql
react@$REACT ($(integrity react "$REACT")):
  umd/react.production.min.js, LICENSE -> LICENSE.react
react-dom@$REACT ($(integrity react-dom "$REACT")):
  umd/react-dom.production.min.js, LICENSE -> LICENSE.react-dom
VERSIONS
(cd "$dest" && sha256sum ./*.js ./*.css >SHA256SUMS)
echo "assets/npm updated: graphiql@$GRAPHIQL, react@$REACT, react-dom@$REACT"
