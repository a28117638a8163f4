#!/usr/bin/env bash
# Stop the local rig: delete the KWOK cluster (stops its etcd, apiserver,
# controller-manager, scheduler and kwok processes), end any of those processes
# still alive (by the pid files kwokctl wrote, nothing else), and remove the
# rig state (kubeconfig, Pulumi backend and home). The build cache stays.
# CYPERF_RIG_KEEP_STATE=1 keeps the Pulumi backend/home and logs.
set -uo pipefail

RIG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$RIG_DIR/env.sh"

CLUSTER_DIR="$KWOK_WORKDIR/clusters/$CYPERF_RIG_CLUSTER"
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# remember the pids before kwokctl removes its folder
pids=()
if [[ -d "$CLUSTER_DIR/pids" ]]; then
  for f in "$CLUSTER_DIR"/pids/*.pid; do
    [[ -f "$f" ]] && pids+=("$(tr -dc 0-9 <"$f")")
  done
fi

if [[ -x "$CYPERF_RIG_KWOK_BIN/kwokctl" && -d "$CLUSTER_DIR" ]]; then
  say "deleting kwok cluster $CYPERF_RIG_CLUSTER"
  "$CYPERF_RIG_KWOK_BIN/kwokctl" --name "$CYPERF_RIG_CLUSTER" delete cluster --kubeconfig "$KUBECONFIG" \
    || say "kwokctl delete cluster failed; ending its processes by pid"
fi

for pid in "${pids[@]}"; do
  [[ -n "$pid" ]] || continue
  # only a live process running one of the rig's cached binaries (pids can be reused)
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  if [[ "$exe" == "$CYPERF_RIG_CACHE"/* ]] && kill -0 "$pid" 2>/dev/null; then
    say "ending leftover process $pid ($(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | cut -c1-80))"
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
done

if [[ "${CYPERF_RIG_KEEP_STATE:-0}" == 1 ]]; then
  rm -rf "$KWOK_WORKDIR" "$KUBECONFIG"
  say "rig stopped; kept $CYPERF_RIG_STATE"
elif [[ -f "$CYPERF_RIG_STATE/.cyperf-rig-state" ]]; then
  rm -rf "$CYPERF_RIG_STATE"
  say "rig stopped; removed $CYPERF_RIG_STATE"
else
  say "rig stopped; $CYPERF_RIG_STATE has no .cyperf-rig-state marker, left as it is"
fi
