#!/usr/bin/env bash
# Starts a local Apache Kafka in KRaft combined mode (broker+controller per node), in the background,
# and waits until its admin API answers. Idempotent: a running broker is reused.
#   start.sh                     one node on 127.0.0.1:9092
#   start.sh --topology cluster  three nodes on 127.0.0.1:19092, 29092, 39092
#                                (KAFKA_CLUSTER_PORT=P: on P, P+10, P+20 instead; controllers one port up)
#   start.sh --fresh             wipe the topology's data first
#   start.sh --security sasl     one node with an extra SASL_PLAINTEXT (SCRAM-SHA-256) listener on
#                                KAFKA_SINGLE_PORT+2; user KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD
#                                (default app / app-secret), created when the storage is formatted;
#                                with KAFKA_SASL_ACLS=1 that user may do only what ACLs grant it
#   start.sh --security tls      one node with an extra SSL listener on KAFKA_SINGLE_PORT+2; a CA and a
#                                certificate for 127.0.0.1/localhost are made in <data>/single/tls;
#                                clients trust <data>/single/tls/ca.pem
# The PLAINTEXT listener stays on KAFKA_SINGLE_PORT (readiness checks, admin, producing in tests).
# Give a secured broker its own KAFKA_DATA_DIR and KAFKA_SINGLE_PORT to run it next to the default one.
# KAFKA_BROKERS=host:port,... : use that cluster instead; only waits for it to answer.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

topology=single
fresh=0
security="$KAFKA_SECURITY"
while [ $# -gt 0 ]; do
  case "$1" in
    --topology) topology="$2"; shift 2 ;;
    --topology=*) topology="${1#*=}"; shift ;;
    --fresh) fresh=1; shift ;;
    --security) security="$2"; shift 2 ;;
    --security=*) security="${1#*=}"; shift ;;
    *) die "unknown argument '$1' (allowed: --topology single|cluster, --fresh, --security none|sasl|tls)" ;;
  esac
done
case "$security" in
  none | sasl | tls) ;;
  *) die "unknown security '$security' (allowed: none, sasl, tls)" ;;
esac
[ "$security" = none ] || [ "$topology" = single ] || die "--security $security needs --topology single"
nodes="$(topology_nodes "$topology")"
node_count="$(echo "$nodes" | wc -w)"

command -v node >/dev/null 2>&1 || die "node not found on PATH"
[ -d "$ROOT/node_modules/kafkajs" ] || die "kafkajs is not installed: run 'npm install' first"

if [ -n "${KAFKA_BROKERS:-}" ]; then
  log "KAFKA_BROKERS=$KAFKA_BROKERS: using the existing cluster"
  node "$KAFKA_SCRIPTS/wait-ready.mjs" --brokers "$KAFKA_BROKERS" --timeout "$KAFKA_READY_TIMEOUT_S" \
    || die "the cluster at KAFKA_BROKERS=$KAFKA_BROKERS did not answer within ${KAFKA_READY_TIMEOUT_S}s"
  exit 0
fi

bash "$KAFKA_SCRIPTS/provision.sh"

base="$KAFKA_DATA_DIR/$topology"
if [ "$fresh" = 1 ]; then
  bash "$KAFKA_SCRIPTS/stop.sh" --topology "$topology"
  rm -rf "$base"
fi
mkdir -p "$base"

voters=""
for n in $nodes; do voters="$voters${voters:+,}$n@127.0.0.1:$(controller_port "$topology" "$n")"; done
# A random 16-byte id, base64url; never starting with '-' (kafka-storage would read it as an option,
# which is why Kafka's own Uuid.randomUuid() draws again in that case).
[ -f "$base/cluster-id" ] \
  || node -e 'let id; do id = require("crypto").randomBytes(16).toString("base64url"); while (id.startsWith("-")); process.stdout.write(id)' >"$base/cluster-id"
cluster_id="$(cat "$base/cluster-id")"
rf=1; min_isr=1
if [ "$node_count" -ge 3 ]; then rf=3; min_isr=2; fi

tls_dir="$base/tls"
if [ "$security" = tls ]; then
  mkdir -p "$tls_dir"
  [ -s "$tls_dir/keystore.password" ] \
    || node -e 'process.stdout.write(require("crypto").randomBytes(18).toString("base64url"))' >"$tls_dir/keystore.password"
  bash "$KAFKA_SCRIPTS/tls-certs.sh" "$tls_dir" "$(cat "$tls_dir/keystore.password")" \
    || die "making the TLS certificates in $tls_dir failed"
fi

# The extra listener of --security (its name is its protocol).
secure_listener() {
  local sport
  sport="$(secure_port)"
  case "$security" in
    sasl)
      echo "SASL_PLAINTEXT://127.0.0.1:$sport"
      ;;
    tls)
      echo "SSL://127.0.0.1:$sport"
      ;;
  esac
}
security_properties() {
  case "$security" in
    sasl)
      cat <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
PROPS
      # KAFKA_SASL_ACLS=1: ACLs enforced for SASL users (none granted: grant them with the admin API
      # over PLAINTEXT, whose unauthenticated principal ANONYMOUS is a super user, as is the controller).
      if [ "${KAFKA_SASL_ACLS:-0}" = 1 ]; then
        cat <<PROPS
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
allow.everyone.if.no.acl.found=false
PROPS
      fi
      ;;
    tls)
      cat <<PROPS
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls_dir/keystore.p12
ssl.keystore.password=$(cat "$tls_dir/keystore.password")
ssl.key.password=$(cat "$tls_dir/keystore.password")
ssl.client.auth=none
PROPS
      ;;
  esac
}

write_properties() {
  local n="$1" dir="$2" bport cport extra="" extra_map=""
  bport="$(broker_port "$topology" "$n")"
  cport="$(controller_port "$topology" "$n")"
  if [ "$security" != none ]; then
    extra=",$(secure_listener)"
    if [ "$security" = sasl ]; then extra_map=",SASL_PLAINTEXT:SASL_PLAINTEXT"; else extra_map=",SSL:SSL"; fi
  fi
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport$extra
advertised.listeners=PLAINTEXT://127.0.0.1:$bport$extra
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT$extra_map
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
default.replication.factor=$rf
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
group.consumer.min.session.timeout.ms=1000
group.consumer.min.heartbeat.interval.ms=500
log.flush.interval.messages=9223372036854775807
log.retention.hours=24
log.segment.bytes=67108864
num.io.threads=4
num.network.threads=2
PROPS
  security_properties >>"$dir/server.properties"
  chmod 600 "$dir/server.properties"
}

started=()
for n in $nodes; do
  dir="$(node_dir "$topology" "$n")"
  mkdir -p "$dir"
  bport="$(broker_port "$topology" "$n")"
  cport="$(controller_port "$topology" "$n")"
  pid="$(cat "$dir/pid" 2>/dev/null || true)"
  if pid_alive "$pid"; then
    log "node $n already running (pid $pid, 127.0.0.1:$bport)"
    continue
  fi
  ports=("$bport" "$cport")
  [ "$security" = none ] || ports+=("$(secure_port)")
  for port in "${ports[@]}"; do
    if port_open "$port"; then
      if [ "$port" = "$bport" ] && node "$KAFKA_SCRIPTS/wait-ready.mjs" --brokers "127.0.0.1:$bport" --timeout 5 --quiet; then
        log "a Kafka broker not started by this script answers on 127.0.0.1:$bport: reusing it"
        continue 2
      fi
      die "port $port is in use by something that is not a Kafka broker started here (find it with: ss -ltnp 'sport = :$port')"
    fi
  done
  write_properties "$n" "$dir"
  if [ ! -f "$dir/data/meta.properties" ]; then
    # SCRAM credentials live in the cluster metadata: created with the first record, at format time.
    scram=()
    [ "$security" != sasl ] \
      || scram=(--add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USERNAME,password=$KAFKA_SASL_PASSWORD]")
    java -cp "$KAFKA_JARS/*" -Dlog4j2.configurationFile="$KAFKA_SCRIPTS/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" --ignore-formatted "${scram[@]}" \
      >"$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; die "formatting storage of node $n failed"; }
    # It lists the SCRAM records (salted keys, never the password): readable by the owner only.
    chmod 600 "$dir/format.log"
  fi
  # setsid: the broker must outlive the shell (and test runner) that started it.
  setsid nohup java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_SCRIPTS/log4j2.properties" \
    -cp "$KAFKA_JARS/*" kafka.Kafka "$dir/server.properties" >"$dir/server.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  started+=("$n")
  log "started node $n (pid $!, 127.0.0.1:$bport, Kafka $KAFKA_VERSION)"
done

brokers="$(bootstrap_servers "$topology")"
if ! node "$KAFKA_SCRIPTS/wait-ready.mjs" --brokers "$brokers" --expect "$node_count" --timeout "$KAFKA_READY_TIMEOUT_S"; then
  for n in $nodes; do
    dir="$(node_dir "$topology" "$n")"
    pid="$(cat "$dir/pid" 2>/dev/null || true)"
    pid_alive "$pid" || log "node $n is not running"
    log "last lines of $dir/server.log:"
    tail -n 25 "$dir/server.log" >&2 || true
  done
  die "Kafka at $brokers was not ready after ${KAFKA_READY_TIMEOUT_S}s"
fi
log "ready: $brokers"
case "$security" in
  sasl) log "SASL_PLAINTEXT (SCRAM-SHA-256) listener: 127.0.0.1:$(secure_port), user $KAFKA_SASL_USERNAME" ;;
  tls) log "SSL listener: 127.0.0.1:$(secure_port), CA certificate: $tls_dir/ca.pem" ;;
esac
