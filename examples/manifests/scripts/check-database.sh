#!/usr/bin/env bash
# Checks the schemas of one database engine against a throwaway server of that engine (the workflow's service
# container), with the Atlas CLI:
#   - every versioned migration directory: atlas.sum matches its files and they replay on a dev database
#     (`atlas migrate validate`), then they apply cleanly, in order, to a fresh, empty database
#     (`atlas migrate apply`), the way the operator's AtlasMigration will apply them;
#   - every declarative schema (the SQL of an AtlasSchema): it applies to a fresh, empty database
#     (`atlas schema apply`);
#   - on a pull request (BASE_SHA set), each of them is compared with the base commit (`atlas schema diff`) and
#     every statement that drops a schema, table or column is reported as a warning on the pull request and in
#     the job summary.
# None of these needs an Atlas Cloud account.
#
# Usage: scripts/check-database.sh <mysql|postgres>
# Environment:
#   MIGRATIONS    space-separated migration directories (each with its atlas.sum) of this engine
#   SCHEMAS       space-separated manifest files holding an AtlasSchema of this engine
#   DB_CONTAINER  the service container's id; each check gets a database of its own in it
#   DEV_URL       Atlas dev-database URL, e.g. docker://postgres/17.6/dev?search_path=public
#   BASE_SHA      optional: the pull request's base commit
set -euo pipefail

engine=${1:?usage: scripts/check-database.sh <mysql|postgres>}
: "${DB_CONTAINER:?DB_CONTAINER must name the database service container}"
: "${DEV_URL:?DEV_URL must be an Atlas dev-database URL}"
MIGRATIONS=${MIGRATIONS:-}
SCHEMAS=${SCHEMAS:-}
BASE_SHA=${BASE_SHA:-}
work=${RUNNER_TEMP:-$(mktemp -d)}/check-$engine
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
mkdir -p "$work"
count=0

# Creates the empty database $1 in the service container and prints its Atlas URL.
fresh_database() {
  local name=$1
  case "$engine" in
    mysql)
      docker exec "$DB_CONTAINER" mysql -uroot -e "CREATE DATABASE \`$name\`" >&2
      echo "mysql://root@127.0.0.1:3306/$name"
      ;;
    postgres)
      docker exec "$DB_CONTAINER" psql -v ON_ERROR_STOP=1 -U postgres -c "CREATE DATABASE \"$name\"" >&2
      # The same form as the url key of the credentials Secret: the whole database, no TLS.
      echo "postgres://postgres@127.0.0.1:5432/$name?sslmode=disable"
      ;;
    *)
      echo "unknown engine '$engine': expected mysql or postgres" >&2
      exit 2
      ;;
  esac
}

# Writes the SQL of the AtlasSchema in a manifest file to $2.
schema_sql() {
  yq 'select(.kind == "AtlasSchema") | .spec.schema.sql' "$1" >"$2"
  if [ ! -s "$2" ]; then
    echo "::error file=$1::no AtlasSchema with spec.schema.sql in $1"
    exit 1
  fi
}

# Reports the destructive statements of the change from $2 to $3 (Atlas URLs), found in source $1.
report_destructive() {
  local plan destructive
  plan=$(atlas schema diff --from "$2" --to "$3" --dev-url "$DEV_URL")
  destructive=$(grep -E -i '\bDROP[[:space:]]+(SCHEMA|DATABASE|TABLE|COLUMN)\b' <<<"$plan" || true)
  if [ -z "$destructive" ]; then
    echo "$1: no destructive change"
    return
  fi
  while IFS= read -r statement; do
    echo "::warning file=$1,title=Destructive schema change::$statement"
  done <<<"$destructive"
  {
    echo "### Destructive changes in \`$1\`"
    echo
    echo "This change drops data; make sure that is intended. An AtlasSchema whose spec.policy.lint.destructive.error"
    echo "is true (shop's prod overlay) refuses it, and the sync stops at wave 1."
    echo
    echo '```sql'
    echo "$plan"
    echo '```'
  } >>"$summary"
}

base=""
if [ -n "$BASE_SHA" ]; then
  base="$work/base"
  git worktree add --detach "$base" "$BASE_SHA" >/dev/null
  trap 'git worktree remove --force "$base"' EXIT
fi

for dir in $MIGRATIONS; do
  echo "::group::$dir (versioned migrations)"
  count=$((count + 1))
  atlas migrate validate --dir "file://$dir" --dev-url "$DEV_URL"
  url=$(fresh_database "check_$count")
  atlas migrate apply --dir "file://$dir" --url "$url"
  if [ -n "$base" ] && [ -f "$base/$dir/atlas.sum" ]; then
    report_destructive "$dir" "file://$base/$dir" "file://$dir"
  fi
  echo "::endgroup::"
done

for file in $SCHEMAS; do
  echo "::group::$file (declarative schema)"
  count=$((count + 1))
  sql="$work/schema-$count.sql"
  schema_sql "$file" "$sql"
  url=$(fresh_database "check_$count")
  if [ "$engine" = postgres ]; then url="$url&search_path=public"; fi
  atlas schema apply --url "$url" --to "file://$sql" --dev-url "$DEV_URL" --auto-approve
  if [ -n "$base" ] && [ -f "$base/$file" ]; then
    schema_sql "$base/$file" "$work/base-$count.sql"
    report_destructive "$file" "file://$work/base-$count.sql" "file://$sql"
  fi
  echo "::endgroup::"
done
