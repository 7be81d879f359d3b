#!/usr/bin/env bash
# Stops the brokers started by start.sh: SIGTERM (controlled shutdown), SIGKILL after a timeout.
#   stop.sh                      the single node
#   stop.sh --topology cluster   the three-node cluster
#   stop.sh --node 2 --topology cluster --signal KILL   one node (broker-failover tests)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

topology=single
only=""
signal=TERM
timeout_s="${KAFKA_STOP_TIMEOUT_S:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --topology) topology="$2"; shift 2 ;;
    --node) only="$2"; shift 2 ;;
    --signal) signal="$2"; shift 2 ;;
    --all) topology=all; shift ;;
    *) die "unknown argument '$1' (allowed: --topology single|cluster, --node N, --signal TERM|KILL, --all)" ;;
  esac
done
# A cluster stopped all at once loses its quorum mid-shutdown: do not wait long for it.
[ -n "$timeout_s" ] || { [ "$topology" = single ] && timeout_s=30 || timeout_s=10; }
topologies="$topology"
[ "$topology" = all ] && topologies="single cluster"

# Signal every node first, then wait: a KRaft node stopping alone while its peers are already gone
# cannot finish its controlled shutdown (no quorum) and would wait out the timeout.
pids=()
names=()
for t in $topologies; do
  for n in $(topology_nodes "$t"); do
    [ -z "$only" ] || [ "$only" = "$n" ] || continue
    dir="$(node_dir "$t" "$n")"
    pid="$(cat "$dir/pid" 2>/dev/null || true)"
    if ! pid_alive "$pid"; then rm -f "$dir/pid"; continue; fi
    kill "-$signal" "$pid" 2>/dev/null || true
    pids+=("$pid")
    names+=("$t:$n:$dir")
  done
done

deadline=$((SECONDS + timeout_s))
for i in "${!pids[@]}"; do
  pid="${pids[$i]}"
  IFS=: read -r t n dir <<<"${names[$i]}"
  while pid_alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if pid_alive "$pid"; then
    log "node $n ($t) did not stop within ${timeout_s}s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    while pid_alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$dir/pid"
  log "stopped node $n ($t)"
done
