#!/usr/bin/env bash
# Build every binary the local rig needs from published Go modules, with the
# ordinary `go` command, and cache them by version outside the repository:
#   ${CYPERF_RIG_CACHE:-$HOME/.cache/cyperf-k8s-rig}/bin-<piece>-<version>/
# A piece whose binaries already exist is skipped, so a warm run takes seconds.
# Scratch wrapper modules live in <cache>/src/, logs in <cache>/logs/.
#
# Usage: rig/build.sh [piece ...]   (default: all pieces, in the order below)
# Pieces: kubernetes etcd kwok pulumi k8s-provider
set -euo pipefail

RIG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$RIG_DIR/versions.sh"

mkdir -p "$RIG_CACHE/logs" "$RIG_CACHE/src"
LOG="${RIG_BUILD_LOG:-$RIG_CACHE/logs/build-$(date -u +%Y%m%dT%H%M%SZ).log}"
ln -sfn "$LOG" "$RIG_CACHE/logs/build-latest.log"

log() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" | tee -a "$LOG"; }
die() { log "ERROR: $*"; exit 1; }
# run a command, its output to the log only (it can be long)
run() { log "+ $*"; "$@" >>"$LOG" 2>&1 || die "command failed (see $LOG): $*"; }

command -v go >/dev/null || die "go not found on PATH"

# One build at a time per cache.
exec 9>"$RIG_CACHE/.build.lock"
flock -w 7200 9 || die "could not take $RIG_CACHE/.build.lock"

export CGO_ENABLED=0
# Only the module proxy is reachable; never fall back to VCS checkouts.
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
GOPROXY="${GOPROXY%,direct}"
export GOFLAGS="-buildvcs=false"
GO_BUILD_FLAGS=(-trimpath)

# have DIR FILE... : all files exist and are executable in DIR
have() { local d="$1"; shift; local f; for f in "$@"; do [[ -x "$d/$f" ]] || return 1; done; }

# piece_begin NAME DIR FILE... : returns 1 (skip) when cached
piece_begin() {
  local name="$1" dir="$2"; shift 2
  if have "$dir" "$@"; then
    log "[$name] cached in $dir (skip)"
    return 1
  fi
  PIECE_START=$(date +%s)
  PIECE_TMP="$dir.tmp.$$"
  rm -rf "$PIECE_TMP"; mkdir -p "$PIECE_TMP"
  log "[$name] building into $dir"
}
# piece_end NAME DIR FILE... : moves the finished binaries in place atomically
piece_end() {
  local name="$1" dir="$2"; shift 2
  have "$PIECE_TMP" "$@" || die "[$name] missing binaries after build: $*"
  rm -rf "$dir"; mv "$PIECE_TMP" "$dir"
  log "[$name] done in $(( $(date +%s) - PIECE_START ))s -> $dir"
  printf '%s\t%s\t%s\n' "$name" "$(( $(date +%s) - PIECE_START ))" "$(date -u +%FT%TZ)" >>"$RIG_CACHE/logs/piece-times.tsv"
}

# modfile MODULE@VERSION : path of the module's go.mod in the download cache
modfile() {
  go mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); e=d.get("Error"); print(d["GoMod"]) if not e else sys.exit(e)'
}
# moddir MODULE@VERSION : extracted (read-only) module directory
moddir() {
  go mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); e=d.get("Error"); print(d["Dir"]) if not e else sys.exit(e)'
}
# go_line GOMOD : its "go 1.N.M" line
go_line() { grep -m1 -E '^go [0-9.]+' "$1"; }

# ---------------------------------------------------------------- kubernetes
build_kubernetes() {
  local v="$RIG_KUBE_VERSION" dir; dir="$(rig_bin_dir kubernetes "$v")"
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  piece_begin kubernetes "$dir" "${bins[@]}" || return 0
  local src="$RIG_CACHE/src/kubernetes-$v" gomod staging major minor
  mkdir -p "$src"
  gomod="$(modfile "k8s.io/kubernetes@$v")" || die "cannot download k8s.io/kubernetes@$v"
  staging="v0.${v#v1.}"                       # v1.36.3 -> v0.36.3
  major=1; minor="${v#v1.}"; minor="${minor%%.*}"
  {
    echo "module cyperf-rig/kubernetes"
    echo
    go_line "$gomod"
    grep -E '^godebug ' "$gomod" || true
    echo
    echo "require k8s.io/kubernetes $v"
    echo
    echo "replace ("
    # every "k8s.io/X => ./staging/src/k8s.io/X" becomes "k8s.io/X => k8s.io/X v0.N.M"
    sed -nE 's#^[[:space:]]*(k8s\.io/[A-Za-z0-9._-]+) => \./staging/src/k8s\.io/.*$#\t\1 => \1 '"$staging"'#p' "$gomod"
    echo ")"
  } >"$src/go.mod"
  log "[kubernetes] wrapper go.mod with $(grep -c ' => ' "$src/go.mod") replace lines"
  local pkg ldf=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldf+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$src" && run go build -mod=mod "${GO_BUILD_FLAGS[@]}" -ldflags "-s -w$ldf" -o "$PIECE_TMP/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  piece_end kubernetes "$dir" "${bins[@]}"
  log "[kubernetes] $("$dir/kube-apiserver" --version)"
}

# ---------------------------------------------------------------- etcd
build_etcd() {
  local v="$RIG_ETCD_VERSION" dir; dir="$(rig_bin_dir etcd "$v")"
  piece_begin etcd "$dir" etcd || return 0
  local src="$RIG_CACHE/src/etcd-$v" gomod
  mkdir -p "$src"
  gomod="$(modfile "go.etcd.io/etcd/server/v3@$v")" || die "cannot download etcd server $v"
  {
    echo "module cyperf-rig/etcd"
    echo
    go_line "$gomod"
    echo
    echo "require go.etcd.io/etcd/server/v3 $v"
    echo
    echo "replace ("
    # every "go.etcd.io/etcd/X => ../dir" becomes "go.etcd.io/etcd/X => go.etcd.io/etcd/X vN"
    sed -nE 's#^[[:space:]]*(go\.etcd\.io/etcd/[A-Za-z0-9/._-]+) => \.\./.*$#\t\1 => \1 '"$v"'#p' "$gomod"
    echo ")"
  } >"$src/go.mod"
  (cd "$src" && run go build -mod=mod "${GO_BUILD_FLAGS[@]}" \
      -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$v" -o "$PIECE_TMP/etcd" go.etcd.io/etcd/server/v3)
  piece_end etcd "$dir" etcd
  log "[etcd] $("$dir/etcd" --version | head -1)"
}

# ---------------------------------------------------------------- kwok
build_kwok() {
  local v="$RIG_KWOK_VERSION" dir; dir="$(rig_bin_dir kwok "$v")"
  piece_begin kwok "$dir" kwok kwokctl || return 0
  # sigs.k8s.io/kwok has no replace lines: plain `go install` works.
  GOBIN="$PIECE_TMP" run go install "${GO_BUILD_FLAGS[@]}" \
      -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$v -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${RIG_KUBE_VERSION#v}" \
      "sigs.k8s.io/kwok/cmd/kwok@$v" "sigs.k8s.io/kwok/cmd/kwokctl@$v"
  piece_end kwok "$dir" kwok kwokctl
  log "[kwok] $("$dir/kwokctl" --version 2>&1 | head -1)"
}

# ---------------------------------------------------------------- main
ALL_PIECES=(kubernetes etcd kwok pulumi k8s-provider)
pieces=("$@"); [[ ${#pieces[@]} -gt 0 ]] || pieces=("${ALL_PIECES[@]}")
T0=$(date +%s)
log "rig build start: cache=$RIG_CACHE log=$LOG go=$(go env GOVERSION) pieces=${pieces[*]}"
for p in "${pieces[@]}"; do
  case "$p" in
    kubernetes) build_kubernetes ;;
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    pulumi) build_pulumi ;;
    k8s-provider) build_k8s_provider ;;
    *) die "unknown piece: $p (known: ${ALL_PIECES[*]})" ;;
  esac
done
log "rig build finished in $(( $(date +%s) - T0 ))s"
