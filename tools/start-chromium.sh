# shellcheck shell=bash
# Makes Debian's Chromium available to the dashboard's browser test (tests/Mimisbrunnr.Operability.Tests). Sourced by
# test.sh (every tools/start-*.sh); nothing runs in the background, so it registers no cleanup hook.
#   - installs the Debian package 'chromium' with apt-get when no chromium is on the PATH (needs root),
#   - exports MIMISBRUNNR_CHROMIUM (the executable the test launches through Playwright's ExecutablePath; Playwright's
#     own browser download is never used) and PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1.
# Returns non-zero (test.sh stops) when Chromium cannot be installed: under test.sh a missing browser is a failure.

mimisbrunnr_start_chromium() {
  local chromium
  chromium="$(command -v chromium || true)"
  if [ -z "$chromium" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "start-chromium: Chromium is not installed and installing it needs root (apt-get install chromium)" >&2
      return 1
    fi
    echo "start-chromium: installing Chromium with apt-get" >&2
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >&2; }; then
      echo "start-chromium: apt-get install chromium failed" >&2
      return 1
    fi
    chromium="$(command -v chromium || true)"
    if [ -z "$chromium" ]; then
      echo "start-chromium: no chromium on the PATH after installing" >&2
      return 1
    fi
  fi

  export MIMISBRUNNR_CHROMIUM="$chromium"
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  echo "start-chromium: $("$chromium" --version 2>/dev/null | head -n 1) at $chromium"
  echo "  MIMISBRUNNR_CHROMIUM=$MIMISBRUNNR_CHROMIUM"
}

mimisbrunnr_start_chromium
