# shellcheck shell=bash
# Starts a private PostgreSQL cluster for the tests. Sourced by test.sh (also usable by hand:
# `cleanup_hooks=(); source tools/start-postgres.sh`, then `eval "${cleanup_hooks[@]}"` to stop it).
#
# - Installs Debian's postgresql package with apt when initdb/pg_ctl are missing (needs root).
# - initdb into a fresh temporary directory and pg_ctl start on a free port of 127.0.0.1, as the 'postgres' user when
#   run as root (PostgreSQL refuses root), otherwise as the current user. Password authentication over TCP.
# - Exports MIMISBRUNNR_PG_CONNECTION (an Npgsql connection string to database 'mimisbrunnr'), and MIMISBRUNNR_PG_CTL,
#   MIMISBRUNNR_PG_DATA, MIMISBRUNNR_PG_LOG, MIMISBRUNNR_PG_USER so that tests can run
#   `[runuser -u $MIMISBRUNNR_PG_USER --] $MIMISBRUNNR_PG_CTL -D $MIMISBRUNNR_PG_DATA -l $MIMISBRUNNR_PG_LOG restart`.
# - Appends to the bash array cleanup_hooks a command that stops the cluster and removes the directory.
# Returns non-zero (so test.sh, under set -e, stops) when the server does not come up.

mimisbrunnr_start_postgres() {
  local bindir="" candidate
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then bindir="$candidate"; fi
  done
  if [ -z "$bindir" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "start-postgres: PostgreSQL is not installed and installing it needs root (apt-get install postgresql)" >&2
      return 1
    fi
    echo "start-postgres: installing PostgreSQL with apt-get" >&2
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >&2; }; then
      echo "start-postgres: apt-get install postgresql failed" >&2
      return 1
    fi
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
      if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then bindir="$candidate"; fi
    done
    if [ -z "$bindir" ]; then
      echo "start-postgres: no initdb/pg_ctl under /usr/lib/postgresql/*/bin after installing" >&2
      return 1
    fi
  fi

  # Who runs the server: never root.
  local user run=()
  if [ "$(id -u)" -eq 0 ]; then
    user=postgres
    if ! id -u "$user" >/dev/null 2>&1; then
      echo "start-postgres: running as root, but there is no 'postgres' user to run the server as" >&2
      return 1
    fi
    run=(runuser -u "$user" --)
  else
    user="$(id -un)"
  fi

  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/mimisbrunnr-pg.XXXXXX")"
  chmod 700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown "$user" "$dir"; fi
  # Register the cleanup first, so that a failure below still removes the directory (and a started server).
  cleanup_hooks+=("${run[*]} '$bindir/pg_ctl' -D '$dir/data' stop -m immediate >/dev/null 2>&1; rm -rf '$dir'")

  local password
  password="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$dir/pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown "$user" "$dir/pwfile"; fi
  if ! "${run[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1; then
    echo "start-postgres: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    return 1
  fi
  rm -f "$dir/pwfile"

  # A free port: try a few random ones (another process may take the port between the probe and the start).
  local port="" attempt
  for attempt in 1 2 3 4 5; do
    local probe=$((20000 + RANDOM % 40000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$probe") 2>/dev/null; then continue; fi
    # Test-only settings: loopback only, the socket in our directory, no durability needed.
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $probe
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    if "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null 2>&1; then
      port="$probe"
      break
    fi
    echo "start-postgres: the server did not start on port $probe (attempt $attempt)" >&2
  done
  if [ -z "$port" ]; then
    echo "start-postgres: PostgreSQL did not come up; its log:" >&2
    tail -n 50 "$dir/postgres.log" >&2 || true
    return 1
  fi

  if ! PGPASSWORD="$password" "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt \
    -c "CREATE DATABASE mimisbrunnr;" >/dev/null; then
    echo "start-postgres: cannot connect to the new server or create the database" >&2
    return 1
  fi

  export MIMISBRUNNR_PG_CONNECTION="Host=127.0.0.1;Port=$port;Database=mimisbrunnr;Username=postgres;Password=$password"
  export MIMISBRUNNR_PG_CTL="$bindir/pg_ctl"
  export MIMISBRUNNR_PG_DATA="$dir/data"
  export MIMISBRUNNR_PG_LOG="$dir/postgres.log"
  export MIMISBRUNNR_PG_USER="$user"
  echo "start-postgres: PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port (data $dir/data, run as $user)"
  echo "  MIMISBRUNNR_PG_CONNECTION=Host=127.0.0.1;Port=$port;Database=mimisbrunnr;Username=postgres;Password=***"
  echo "  MIMISBRUNNR_PG_CTL=$MIMISBRUNNR_PG_CTL MIMISBRUNNR_PG_DATA=$MIMISBRUNNR_PG_DATA MIMISBRUNNR_PG_USER=$user"
}

mimisbrunnr_start_postgres
