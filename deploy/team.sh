#!/usr/bin/env bash
# drill for a team on one machine: PostgreSQL, Chroma's server, `drill serve` replicas (two unless
# DRILL_TEAM_REPLICAS says otherwise) and
# nginx in front with sticky sessions, everything on loopback (nginx too unless DRILL_TEAM_LISTEN
# says otherwise). Everything lives in DIR: the database cluster, the index, the shared content
# directory, each replica's data directory, logs and pid files.
#
#   deploy/team.sh db DIR      start PostgreSQL (created on first use) and write DIR/env
#                              (source it to run `drill users add ...` against the team's database)
#   deploy/team.sh start DIR   start whatever is not running: PostgreSQL, Chroma, the replicas and
#                              nginx; prints the URL. Refuses to start the replicas without accounts
#                              (they would run without sign-in)
#   deploy/team.sh stop DIR    stop them all (the data stays in DIR)
#   deploy/team.sh status DIR  what runs, with its pid
#
# Environment: DRILL_TEAM_PORT (nginx's port, default 8080), DRILL_TEAM_LISTEN (its address,
# default 127.0.0.1), DRILL (the drill command, default `drill`), CHROMA (default `chroma`),
# DRILL_NGINX (default `nginx`). Other DRILL_* settings (the LLM endpoint...) pass on to the replicas;
# put them in DIR/env to keep them. docs/deploy.md explains the design.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
action=${1:?usage: deploy/team.sh db|start|stop|status DIR}
dir=${2:?usage: deploy/team.sh db|start|stop|status DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 711 "$dir" # PostgreSQL runs as the 'postgres' user when this runs as root
drill=${DRILL:-drill}
chroma_cmd=${CHROMA:-chroma}
nginx_cmd=${DRILL_NGINX:-nginx}
unset NGINX # nginx reads inherited listening sockets from it
python=${PYTHON:-python3}
listen=${DRILL_TEAM_LISTEN:-127.0.0.1}
port=${DRILL_TEAM_PORT:-8080}
replicas=${DRILL_TEAM_REPLICAS:-2}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
as_postgres=()
[ "$(id -u)" = 0 ] && as_postgres=(runuser -u postgres --)

say() { echo "team: $*" >&2; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
running() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }
wait_http() { # URL SECONDS NAME: until the URL answers (any HTTP status)
  local deadline=$((SECONDS + $2))
  until "$python" -c 'import sys, urllib.request, urllib.error
try: urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError: pass' "$1" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      say "$3 did not answer on $1 within $2 s (see $dir/$3.log)"
      return 1
    fi
    sleep 0.3
  done
}
ports() { # the ports chosen on first start, kept so that restarts reuse them
  touch "$dir/ports"
  grep -q '^chroma=' "$dir/ports" || echo "chroma=$(free_port)" >>"$dir/ports"
  for n in $(seq 1 "$replicas"); do
    grep -q "^replica_$n=" "$dir/ports" || echo "replica_$n=$(free_port)" >>"$dir/ports"
  done
  # shellcheck disable=SC1091
  . "$dir/ports"
}
replica_port() { local var="replica_$1"; echo "${!var}"; }

start_db() {
  if [ -z "$bindir" ]; then
    say "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    return 1
  fi
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$dir"; then
    say "PostgreSQL runs as the 'postgres' user, which cannot reach $dir: choose a directory it can reach"
    return 1
  fi
  if [ ! -d "$dir/postgres/data" ]; then
    url=$("$here/../.ci/postgres" start "$dir/postgres" drill durable)
    {
      echo "export DRILL_DATABASE_URL='$url'"
      echo "export DRILL_CONTENT_DIR='$dir/content'"
    } >"$dir/env"
    chmod 600 "$dir/env" # it holds the database password
    say "PostgreSQL started (new cluster in $dir/postgres)"
  elif ! "${as_postgres[@]}" "$bindir/pg_ctl" -D "$dir/postgres/data" status >/dev/null 2>&1; then
    # shellcheck disable=SC1091
    . "$dir/env"
    db_port=${DRILL_DATABASE_URL##*:}
    db_port=${db_port%%/*}
    "${as_postgres[@]}" "$bindir/pg_ctl" -D "$dir/postgres/data" -l "$dir/postgres/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $db_port -k $dir/postgres" start >/dev/null
    say "PostgreSQL started"
  fi
}

start_all() {
  start_db
  # shellcheck disable=SC1091
  . "$dir/env"
  ports
  export DRILL_CHROMA_HOST=127.0.0.1 DRILL_CHROMA_PORT=$chroma
  mkdir -p "$DRILL_CONTENT_DIR"
  if ! listed=$(DRILL_DATA_DIR="$dir/replica-1" "$drill" users list 2>&1); then
    say "cannot read the team's accounts: $listed"
    return 1
  fi
  if [ -z "$listed" ] || [[ "$listed" == "no accounts"* ]]; then
    say "no accounts in the team's database yet: the replicas would run without sign-in. Add one first:"
    say "  . $dir/env && $drill users add NAME --role trainer"
    return 1
  fi
  if ! running chroma; then
    setsid "$chroma_cmd" run --path "$dir/chroma" --host 127.0.0.1 --port "$chroma" </dev/null >"$dir/chroma.log" 2>&1 &
    echo $! >"$dir/chroma.pid"
    wait_http "http://127.0.0.1:$chroma/api/v2/heartbeat" 60 chroma
    say "Chroma started on 127.0.0.1:$chroma"
  fi
  servers=""
  for n in $(seq 1 "$replicas"); do
    name=replica-$n
    servers="$servers server 127.0.0.1:$(replica_port "$n") max_fails=1 fail_timeout=10s;"
    if running "$name"; then continue; fi
    DRILL_DATA_DIR="$dir/$name" setsid "$drill" serve --host 127.0.0.1 --port "$(replica_port "$n")" \
      </dev/null >"$dir/$name.log" 2>&1 &
    echo $! >"$dir/$name.pid"
  done
  for n in $(seq 1 "$replicas"); do
    wait_http "http://127.0.0.1:$(replica_port "$n")/" 180 "replica-$n"
  done
  say "$replicas replica(s) on 127.0.0.1, ports $(for n in $(seq 1 "$replicas"); do printf '%s ' "$(replica_port "$n")"; done)"
  if ! running nginx; then
    mkdir -p "$dir/nginx-tmp"
    [ "$(id -u)" = 0 ] && chown nobody "$dir/nginx-tmp" 2>/dev/null || true
    sed -e "s|@DIR@|$dir|g" -e "s|@LISTEN@|$listen|g" -e "s|@PORT@|$port|g" -e "s|@SERVERS@|$servers|" \
      "$here/nginx.conf" >"$dir/nginx.conf"
    "$nginx_cmd" -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" </dev/null >>"$dir/nginx-error.log" 2>&1
    wait_http "http://$listen:$port/" 30 nginx
  fi
  echo "http://$listen:$port/"
}

stop_pid() { # NAME SIGNAL: stop the process and wait for it (SIGKILL after 20 s)
  running "$1" || { rm -f "$dir/$1.pid"; return 0; }
  local pid
  pid=$(cat "$dir/$1.pid")
  kill "-$2" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/$1.pid"
}

stop_all() {
  stop_pid nginx TERM
  for pid_file in "$dir"/replica-*.pid; do
    [ -e "$pid_file" ] && stop_pid "$(basename "$pid_file" .pid)" TERM
  done
  stop_pid chroma TERM
  if [ -n "$bindir" ] && [ -d "$dir/postgres/data" ]; then
    "${as_postgres[@]}" "$bindir/pg_ctl" -D "$dir/postgres/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  say "stopped (data kept in $dir)"
}

case "$action" in
db) start_db ;;
start) start_all ;;
stop) stop_all ;;
status)
  for name in chroma $(cd "$dir" && ls replica-*.pid 2>/dev/null | sed 's/\.pid$//') nginx; do
    if running "$name"; then echo "$name running (pid $(cat "$dir/$name.pid"))"; else echo "$name stopped"; fi
  done
  if [ -n "$bindir" ] && "${as_postgres[@]}" "$bindir/pg_ctl" -D "$dir/postgres/data" status >/dev/null 2>&1; then
    echo "postgresql running"
  else
    echo "postgresql stopped"
  fi
  ;;
*)
  echo "usage: deploy/team.sh db|start|stop|status DIR" >&2
  exit 2
  ;;
esac
