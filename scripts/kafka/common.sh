# Shared settings for the Kafka scripts. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KAFKA_SCRIPTS="$ROOT/scripts/kafka"
KAFKA_HOME_DIR="${KAFKA_CACHE_DIR:-$ROOT/.kafka}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_SCRIPTS/pom.xml")"
KAFKA_JARS="$KAFKA_HOME_DIR/jars/$KAFKA_VERSION"
# Broker data and logs; separate from the jar cache so tests can start throwaway brokers.
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_HOME_DIR}"
# Port of the single node's PLAINTEXT listener; its controller listens on the next port.
KAFKA_SINGLE_PORT="${KAFKA_SINGLE_PORT:-9092}"
# Security of an extra client listener on KAFKA_SINGLE_PORT+2 (single topology only): none, sasl
# (SASL_PLAINTEXT with SCRAM-SHA-256) or tls (SSL, certificates made by tls-certs.sh).
KAFKA_SECURITY="${KAFKA_SECURITY:-none}"
KAFKA_SASL_USERNAME="${KAFKA_SASL_USERNAME:-app}"
KAFKA_SASL_PASSWORD="${KAFKA_SASL_PASSWORD:-app-secret}"
KAFKA_HEAP="${KAFKA_HEAP:--Xmx512m -Xms512m}"
KAFKA_READY_TIMEOUT_S="${KAFKA_READY_TIMEOUT_S:-90}"

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { printf '[kafka] error: %s\n' "$*" >&2; exit 1; }

# Topology: "single" is one combined broker+controller on 9092; "cluster" is three on 19092/29092/39092.
topology_nodes() {
  case "$1" in
    single) echo 1 ;;
    cluster) echo "1 2 3" ;;
    *) die "unknown topology '$1' (allowed: single, cluster)" ;;
  esac
}
# KAFKA_CLUSTER_PORT moves the cluster (tests run a private one): node n listens on
# KAFKA_CLUSTER_PORT + 10*(n-1), its controller on the port after.
KAFKA_CLUSTER_PORT="${KAFKA_CLUSTER_PORT:-}"
broker_port() {
  if [ "$1" = single ]; then echo "$KAFKA_SINGLE_PORT"
  elif [ -n "$KAFKA_CLUSTER_PORT" ]; then echo $((KAFKA_CLUSTER_PORT + 10 * ($2 - 1)))
  else echo "${2}9092"; fi
}
controller_port() { if [ "$1" = single ]; then echo $((KAFKA_SINGLE_PORT + 1)); else echo $(($(broker_port "$1" "$2") + 1)); fi; }
# The secured listener of a single node (start.sh --security sasl|tls).
secure_port() { echo $((KAFKA_SINGLE_PORT + 2)); }
node_dir() { echo "$KAFKA_DATA_DIR/$1/node-$2"; }
bootstrap_servers() {
  local t="$1" out="" n
  for n in $(topology_nodes "$t"); do out="$out${out:+,}127.0.0.1:$(broker_port "$t" "$n")"; done
  echo "$out"
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
