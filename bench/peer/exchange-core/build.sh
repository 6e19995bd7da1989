#!/usr/bin/env bash
# Builds the exchange-core book peer (pom.xml + src/) into target/classes, with exchange-core and its
# runtime jars in target/lib/. Idempotent and quick when nothing changed: a marker in target/ holds
# the sha256 of the pom and of every Java source, and the build runs only when that differs (or the
# output is missing). Maven's own cache (~/.m2) makes a rebuild cheap too. Prints one line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$here/target"
marker="$target/.build.sha256"

command -v mvn >/dev/null 2>&1 || { echo "build.sh: mvn (Maven) is not installed; cannot build the exchange-core book peer" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { echo "build.sh: java is not installed; the exchange-core book peer needs Java 17+" >&2; exit 1; }

want="$(cd "$here" && { sha256sum pom.xml; find src -type f -name '*.java' | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -d' ' -f1)"

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ] \
  && [ -f "$target/classes/ringmatch/peer/BookPeer.class" ] && ls "$target"/lib/exchange-core-*.jar >/dev/null 2>&1; then
  echo "book peer up to date ($(ls "$target"/lib/*.jar | wc -l) jars in $target/lib)"
  exit 0
fi

rm -rf "$target/classes" "$target/lib" "$marker"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Bounded: a stuck download or build is cut off after 10 minutes.
timeout 600 mvn -q -B -f "$here/pom.xml" package dependency:copy-dependencies >"$log" 2>&1 || {
  rc=$?
  echo "build.sh: maven failed (exit $rc$([ $rc = 124 ] && echo ', timed out after 600 s')); last lines of its output:" >&2
  tail -n 20 "$log" >&2
  exit 1
}
[ -f "$target/classes/ringmatch/peer/BookPeer.class" ] || { echo "build.sh: maven ran but produced no BookPeer.class in $target/classes" >&2; exit 1; }
ls "$target"/lib/exchange-core-*.jar >/dev/null 2>&1 || { echo "build.sh: maven ran but no exchange-core jar in $target/lib" >&2; exit 1; }
echo "$want" > "$marker"
echo "book peer built ($(ls "$target"/lib/*.jar | wc -l) jars in $target/lib)"
