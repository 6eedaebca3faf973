# Shared helpers for the wasm-assets build scripts (sourced, not executed).

# Print the Debian mirror URI from this machine's apt configuration:
# the first "URIs:" of deb822 sources, else the first "deb URI" line of a classic list.
mirror_uri() {
  local uri
  uri=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v -- '-security' | head -n1 | awk '{print $2}')
  if [ -z "$uri" ]; then
    uri=$(grep -h -E '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -n1 | awk '{print $2}')
  fi
  [ -n "$uri" ] || { echo "cannot find a Debian mirror in the apt configuration" >&2; return 1; }
  echo "${uri%/}"
}

log() { printf '\n=== [%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "error: $*" >&2; exit 1; }
