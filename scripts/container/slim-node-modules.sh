#!/bin/sh
# Deletes from a production node_modules what no package loads at run time: TypeScript sources and declarations,
# source maps, Markdown documentation and test folders. npm packages ship them for editors and contributors; in
# an image they are a third of node_modules and, for sources, code that never runs. Licences stay.
# POSIX sh and find only, as it runs in a Dockerfile stage of a slim base (dash, no bash).
# Usage: scripts/container/slim-node-modules.sh [node_modules]
set -eu

modules="${1:-node_modules}"
[ -d "$modules" ] || {
  echo "slim-node-modules.sh: no folder $modules" >&2
  exit 1
}

# Node never loads .ts/.mts/.cts from node_modules (type stripping refuses it there), so a package cannot need them.
find "$modules" -type f \( \
  -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.tsbuildinfo' -o \
  -name '*.map' -o \
  \( -iname '*.md' ! -iname 'license*' ! -iname 'licence*' ! -iname 'notice*' \) \
  \) -delete
# Only a package's own test suite (a test folder beside its package.json), never a folder of that name inside its code.
find "$modules" -type d \( -name test -o -name tests -o -name __tests__ \) -prune | while IFS= read -r folder; do
  if [ -f "$(dirname "$folder")/package.json" ]; then rm -rf "$folder"; fi
done
find "$modules" -mindepth 1 -type d -empty -delete
