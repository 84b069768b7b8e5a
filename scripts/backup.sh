#!/usr/bin/env bash
# Take a backup of Yishi's PostgreSQL database: a custom-format pg_dump (compressed,
# restorable table by table) and its SHA-256 beside it.
#   DATABASE_URL=postgres://... bash scripts/backup.sh [FILE]
# Default FILE: var/backups/yishi-<UTC time>.dump. docs/operations.md, "Backups", says
# how often, where to keep copies, and how to prove a backup restores (scripts/restore.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to back up}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL is not PostgreSQL; nothing was written" >&2; exit 2 ;;
esac
file=${1:-var/backups/yishi-$(date -u +%Y%m%dT%H%M%SZ).dump}
mkdir -p "$(dirname "$file")"
# Write to a temporary name first: a failed dump never leaves a file that looks complete.
pg_dump --format=custom --no-owner --no-privileges --file="$file.partial" "$DATABASE_URL"
mv "$file.partial" "$file"
(cd "$(dirname "$file")" && sha256sum "$(basename "$file")" > "$(basename "$file").sha256")
echo "$file"
