#!/usr/bin/env bash
# Starts a single-node KRaft Kafka broker (controller + broker in one JVM) on 127.0.0.1:$port,
# data in a temp folder, in the background; waits (bounded) until it answers; fails loudly with
# the broker log tail otherwise. See common.sh for the environment knobs.
set -euo pipefail
source "$(dirname "$0")/common.sh"
timeout_s="${RINGMATCH_KAFKA_START_TIMEOUT:-120}"
heap="${RINGMATCH_KAFKA_HEAP:-512m}"

if [ -f "$pidfile" ] && is_broker_pid "$(cat "$pidfile")"; then
  echo "kafka broker already running (pid $(cat "$pidfile"), 127.0.0.1:$port)"
  exit 0
fi
ls "$jars"/kafka_2.13-*.jar >/dev/null 2>&1 || { echo "start.sh: no broker jars in $jars; run scripts/kafka/fetch.sh first" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { echo "start.sh: java is not installed" >&2; exit 1; }
if port_open "$port" || port_open "$cport"; then
  echo "start.sh: port $port or $cport is already in use by another process; set RINGMATCH_KAFKA_PORT" >&2
  exit 1
fi

mkdir -p "$state/data"
conf="$state/server.properties"
cat > "$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$state/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
# single node: internal topics must have replication factor 1, or consumer groups never find a
# coordinator and transactions never start
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
# small machine (2 cores, shared): few threads, small cleaner buffer
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=8388608
PROPS
cat > "$state/log4j.properties" <<PROPS
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
PROPS

jvm=(-Xmx"$heap" -Xms128m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
     -Dlog4j.configuration="file:$state/log4j.properties" -Dkafka.logs.dir="$state"
     -cp "$jars/*")

if [ ! -f "$state/data/meta.properties" ]; then
  # fresh cluster id: 16 random bytes, base64url without padding (what Uuid.randomUuid prints)
  # (one in 32 starts with '-', which the tool's argument parser takes for a flag: draw again)
  cluster_id="-"
  while [ "${cluster_id#-}" != "$cluster_id" ]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  if ! java "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" > "$state/format.log" 2>&1; then
    echo "start.sh: formatting the KRaft storage failed:" >&2
    tail -n 40 "$state/format.log" >&2
    exit 1
  fi
fi

: > "$logfile"
nohup java "${jvm[@]}" kafka.Kafka "$conf" >> "$logfile" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$pidfile"

deadline=$((SECONDS + timeout_s))
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: the kafka broker (pid $pid) exited during startup; log tail ($logfile):" >&2
    tail -n 60 "$logfile" >&2
    rm -f "$pidfile"
    exit 1
  fi
  if grep -q 'Kafka Server started' "$logfile" && port_open "$port"; then
    break
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "start.sh: the kafka broker did not answer on 127.0.0.1:$port within ${timeout_s}s; log tail ($logfile):" >&2
    tail -n 60 "$logfile" >&2
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    exit 1
  fi
  sleep 0.25
done
echo "kafka broker started: pid $pid, 127.0.0.1:$port (controller $cport), state $state"
