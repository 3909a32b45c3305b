#!/usr/bin/env bash
# Fails when something the checks must cover is missing from the lists in .github/workflows/validate.yml: every
# kustomization outside a base/ directory (a directory an Application may point at), every migration directory
# (a directory with an atlas.sum), and every file with an AtlasSchema. Run from the repository root, with the
# workflow's environment (KUSTOMIZATIONS, MYSQL_MIGRATIONS, POSTGRES_MIGRATIONS, MYSQL_SCHEMAS, POSTGRES_SCHEMAS).
set -euo pipefail

missing=0
# listed <list> <item>: whether item is one of the space-separated words of list.
listed() { [[ " $1 " == *" $2 "* ]]; }
report() {
  echo "::error file=$1::$2 is not listed in $3 in .github/workflows/validate.yml, so CI does not check it"
  missing=1
}

while IFS= read -r file; do
  dir=$(dirname "${file#./}")
  [ "$(basename "$dir")" = base ] && continue
  listed "${KUSTOMIZATIONS:-}" "$dir" || report "$file" "$dir" KUSTOMIZATIONS
done < <(find . -name kustomization.yaml -not -path './.git/*' | sort)

while IFS= read -r file; do
  dir=$(dirname "${file#./}")
  listed "${MYSQL_MIGRATIONS:-} ${POSTGRES_MIGRATIONS:-}" "$dir" ||
    report "$file" "$dir" "MYSQL_MIGRATIONS or POSTGRES_MIGRATIONS"
done < <(find . -name atlas.sum -not -path './.git/*' | sort)

while IFS= read -r file; do
  file=${file#./}
  listed "${MYSQL_SCHEMAS:-} ${POSTGRES_SCHEMAS:-}" "$file" ||
    report "$file" "$file" "MYSQL_SCHEMAS or POSTGRES_SCHEMAS"
done < <(grep -rlE --include='*.yaml' --include='*.yml' '^kind: AtlasSchema$' --exclude-dir=.git . | sort)

exit "$missing"
