# Shared settings for start.sh / stop.sh (sourced). One broker per port; its state (pid, config,
# log, data) lives in one temp folder named after the port, so stop.sh finds what start.sh made.
#   RINGMATCH_KAFKA_PORT             client port (default 9092); the controller uses port+1
#   RINGMATCH_KAFKA_CONTROLLER_PORT  override the controller port
#   RINGMATCH_KAFKA_STATE_DIR        override the state folder
#   RINGMATCH_KAFKA_HEAP             JVM heap (default 512m)
#   RINGMATCH_KAFKA_START_TIMEOUT    seconds start.sh waits for the broker (default 120)
#   RINGMATCH_KAFKA_KEEP_DATA=1      stop.sh keeps the data (restart tests: start.sh reuses it)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jars="$here/jars"
port="${RINGMATCH_KAFKA_PORT:-9092}"
cport="${RINGMATCH_KAFKA_CONTROLLER_PORT:-$((port + 1))}"
state="${RINGMATCH_KAFKA_STATE_DIR:-${TMPDIR:-/tmp}/ringmatch-kafka-$port}"
pidfile="$state/broker.pid"
logfile="$state/broker.log"

# Is $1 a live broker process we started (guards against pid reuse)?
is_broker_pid() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka.Kafka'
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
