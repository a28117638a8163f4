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
# Only the module proxy is reachable: use the configured one, without the VCS fallback.
GOPROXY="$(go env GOPROXY)"; export GOPROXY="${GOPROXY%,direct}"
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
  rm -rf "$dir".tmp.*; mkdir -p "$PIECE_TMP"   # leftovers of an interrupted build (we hold the lock)
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

# ---------------------------------------------------------------- pulumi
# Pulumi CLI (pkg/v3 + sdk/v3 at one version), the pulumi-language-python-exec
# launcher shipped inside sdk/v3, and the rig's Python language host (see README:
# when the module proxy does not serve the Go module of the real language host).
build_pulumi() {
  local v="$RIG_PULUMI_VERSION" dir; dir="$(rig_bin_dir pulumi "$v")"
  local bins=(pulumi pulumi-language-python-exec)
  if piece_begin pulumi "$dir" "${bins[@]}"; then
    local src="$RIG_CACHE/src/pulumi-$v" gomod sdkdir
    mkdir -p "$src"
    gomod="$(modfile "github.com/pulumi/pulumi/pkg/v3@$v")" || die "cannot download pulumi pkg/v3@$v (is it served?)"
    sdkdir="$(moddir "github.com/pulumi/pulumi/sdk/v3@$v")" || die "cannot download pulumi sdk/v3@$v"
    {
      echo "module cyperf-rig/pulumi"
      echo
      go_line "$gomod"
      echo
      echo "require ("
      echo "	github.com/pulumi/pulumi/pkg/v3 $v"
      echo "	github.com/pulumi/pulumi/sdk/v3 $v"
      echo ")"
      echo
      # "X => ../sdk" becomes "X => X <same version>"; other replaces are copied as they are
      sed -nE -e 's#^replace (github\.com/pulumi/pulumi/sdk/v3) => \.\./sdk$#replace \1 => \1 '"$v"'#p' -e t \
              -e '/=> \.\.?\//!{/^replace [^(]/p}' "$gomod"
    } >"$src/go.mod"
    log "[pulumi] wrapper go.mod: $(grep -c '^replace' "$src/go.mod") replace lines"
    (cd "$src" && run go build -mod=mod "${GO_BUILD_FLAGS[@]}" -tags osusergo,grpcnotrace \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
        -o "$PIECE_TMP/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
    install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$PIECE_TMP/pulumi-language-python-exec"
    piece_end pulumi "$dir" "${bins[@]}"
    log "[pulumi] $("$dir/pulumi" version)"
  fi
  # The rig's language host lives in the repository; copy it beside `pulumi` on
  # every run (cheap) so that a changed host is picked up with a warm cache.
  local f
  for f in pulumi-language-python pulumi-language-python-rig.py; do
    if ! cmp -s "$RIG_DIR/langhost/$f" "$dir/$f"; then
      install -m 0755 "$RIG_DIR/langhost/$f" "$dir/$f"
      log "[pulumi] installed $f beside pulumi"
    fi
  done
}

# ---------------------------------------------------------------- k8s provider
# pulumi-resource-kubernetes, built from the provider/v4 module version the proxy
# serves, installed into PULUMI_HOME as resource plugin v$RIG_K8S_PROVIDER_VERSION.
build_k8s_provider() {
  local mv="$RIG_K8S_PROVIDER_MODULE_VERSION" v="$RIG_K8S_PROVIDER_VERSION" dir
  dir="$(rig_bin_dir pulumi-kubernetes "$v-${mv##*-}")"
  if piece_begin k8s-provider "$dir" pulumi-resource-kubernetes; then
    local src="$RIG_CACHE/src/pulumi-kubernetes-$mv" mdir rel target req
    mdir="$(moddir "github.com/pulumi/pulumi-kubernetes/provider/v4@$mv")" || die "cannot download provider/v4@$mv"
    # The module cache is read-only and main.go embeds files that `go generate`
    # writes: copy the module to a scratch folder and build it as the main module.
    rm -rf "$src"; mkdir -p "$src"; cp -R "$mdir/." "$src/"; chmod -R u+w "$src"
    # Every relative replace ("X => ../sdk") becomes "X => X <version X is required at>".
    while read -r rel; do
      req="$(awk -v m="$rel" '$1==m && $2 ~ /^v/ {print $2; exit}' "$src/go.mod")"
      [[ -n "$req" ]] || die "[k8s-provider] no required version for $rel"
      (cd "$src" && go mod edit -replace="$rel=$rel@$req")
      log "[k8s-provider] replace $rel => $rel $req"
    done < <(sed -nE 's#^replace ([^ ]+) => \.\.?/.*$#\1#p' "$src/go.mod")
    (cd "$src/cmd/pulumi-resource-kubernetes" && VERSION="$v" run go run -mod=mod ./generate.go)
    (cd "$src" && run go build -mod=mod "${GO_BUILD_FLAGS[@]}" \
        -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$v" \
        -o "$PIECE_TMP/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes)
    printf 'module github.com/pulumi/pulumi-kubernetes/provider/v4@%s\nplugin version %s\n' "$mv" "$v" >"$PIECE_TMP/SOURCE"
    piece_end k8s-provider "$dir" pulumi-resource-kubernetes
  fi
}

# ---------------------------------------------------------------- main
main() {
  local all=(kubernetes etcd kwok pulumi k8s-provider) pieces=("$@") p t0
  [[ ${#pieces[@]} -gt 0 ]] || pieces=("${all[@]}")
  t0=$(date +%s)
  log "rig build start: cache=$RIG_CACHE log=$LOG go=$(go env GOVERSION) pieces=${pieces[*]}"
  for p in "${pieces[@]}"; do
    case "$p" in
      kubernetes) build_kubernetes ;;
      etcd) build_etcd ;;
      kwok) build_kwok ;;
      pulumi) build_pulumi ;;
      k8s-provider) build_k8s_provider ;;
      *) die "unknown piece: $p (known: ${all[*]})" ;;
    esac
  done
  log "rig build finished in $(( $(date +%s) - t0 ))s; cache: $(du -sh "$RIG_CACHE" 2>/dev/null | cut -f1)"
}

# Everything above only defines; this last line runs (the whole file is parsed
# first, so editing it during a long build cannot derail the running build).
main "$@"; exit
