#!/usr/bin/env bash
# Fetches the Kafka broker jars (pom.xml) from Maven Central into scripts/kafka/jars/.
# Idempotent and quick when the jars for the current pom.xml are already there (a marker holds
# the pom's checksum). Maven's own cache (~/.m2) makes a re-fetch cheap too.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jars="$here/jars"
marker="$jars/.pom.sha256"
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ] && ls "$jars"/kafka_2.13-*.jar >/dev/null 2>&1; then
  echo "kafka jars present ($(ls "$jars"/*.jar | wc -l) jars in $jars)"
  exit 0
fi
command -v mvn >/dev/null 2>&1 || { echo "fetch.sh: mvn (Maven) is not installed; cannot fetch the Kafka broker jars" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { echo "fetch.sh: java is not installed; the Kafka broker needs Java 17+" >&2; exit 1; }

echo "fetching kafka broker jars with maven into $jars ..."
rm -rf "$jars"
mkdir -p "$jars"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies
ls "$jars"/kafka_2.13-*.jar >/dev/null 2>&1 || { echo "fetch.sh: maven ran but no kafka_2.13 jar in $jars" >&2; exit 1; }
ls "$jars"/slf4j-reload4j-*.jar >/dev/null 2>&1 || { echo "fetch.sh: no slf4j logging backend in $jars" >&2; exit 1; }
echo "$want" > "$marker"
echo "kafka jars fetched ($(ls "$jars"/*.jar | wc -l) jars)"
