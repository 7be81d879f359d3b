#!/usr/bin/env bash
# Downloads the Apache Kafka broker jars from Maven Central into .kafka/jars/<version> (once).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v java >/dev/null 2>&1 || die "java not found on PATH: Kafka $KAFKA_VERSION needs Java 17+ (apt-get install openjdk-17-jre-headless)"
java_major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
[ "${java_major:-0}" -ge 17 ] || die "java $java_major found, Kafka $KAFKA_VERSION needs Java 17+"

if [ -f "$KAFKA_JARS/.complete" ]; then
  exit 0
fi
command -v mvn >/dev/null 2>&1 || die "mvn (Apache Maven) not found on PATH: it downloads the Kafka jars (apt-get install maven)"
log "downloading Apache Kafka $KAFKA_VERSION jars with Maven into $KAFKA_JARS"
rm -rf "$KAFKA_JARS"
mkdir -p "$KAFKA_JARS"
if ! mvn -q -B -f "$KAFKA_SCRIPTS/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_JARS" >"$KAFKA_HOME_DIR/maven.log" 2>&1; then
  tail -n 30 "$KAFKA_HOME_DIR/maven.log" >&2
  die "Maven could not download the Kafka jars (log: $KAFKA_HOME_DIR/maven.log)"
fi
# Keep one SLF4J API: kafka_2.13 brings 1.7.x, the Log4j2 binding needs 2.x.
for jar in "$KAFKA_JARS"/slf4j-api-1.*.jar; do [ -e "$jar" ] && rm -f "$jar"; done
touch "$KAFKA_JARS/.complete"
log "Kafka $KAFKA_VERSION jars ready ($(ls "$KAFKA_JARS" | wc -l) files)"
