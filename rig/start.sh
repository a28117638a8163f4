#!/usr/bin/env bash
# Start the local rig: a KWOK cluster (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and the kwok controller as local processes bound to 127.0.0.1),
# fake Ready nodes, a kube-dns Service, and a Pulumi home with the Kubernetes
# provider plugin installed. Binaries come from rig/build.sh's cache.
#
# Env knobs: CYPERF_RIG_CLIENT_NODES (3), CYPERF_RIG_SERVER_NODES (3),
# CYPERF_RIG_PLAIN_NODES (2), CYPERF_RIG_NODE_CPU (16), CYPERF_RIG_NODE_MEMORY (64Gi),
# CYPERF_RIG_NODE_PODS (110), CYPERF_RIG_FRESH=1 (delete a running rig first).
# A running healthy rig is reused (nodes, kube-dns and plugin are re-ensured).
set -euo pipefail

RIG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$RIG_DIR/env.sh"

CLIENT_NODES="${CYPERF_RIG_CLIENT_NODES:-3}"
SERVER_NODES="${CYPERF_RIG_SERVER_NODES:-3}"
PLAIN_NODES="${CYPERF_RIG_PLAIN_NODES:-2}"
NODE_CPU="${CYPERF_RIG_NODE_CPU:-16}"
NODE_MEMORY="${CYPERF_RIG_NODE_MEMORY:-64Gi}"
NODE_PODS="${CYPERF_RIG_NODE_PODS:-110}"

mkdir -p "$CYPERF_RIG_STATE/logs" "$KWOK_WORKDIR"
touch "$CYPERF_RIG_STATE/.cyperf-rig-state"   # stop.sh only removes a folder with this marker
LOG="$CYPERF_RIG_STATE/logs/start.log"
T0=$(date +%s%3N)
log() { local ms=$(( $(date +%s%3N) - T0 )); printf '%s [+%d.%03ds] %s\n' "$(date -u +%H:%M:%S)" $((ms / 1000)) $((ms % 1000)) "$*" | tee -a "$LOG"; }
die() { log "ERROR: $*"; exit 1; }

for b in "$CYPERF_RIG_PULUMI_BIN/pulumi" "$CYPERF_RIG_PULUMI_BIN/pulumi-language-python" \
         "$CYPERF_RIG_KUBE_BIN/kube-apiserver" "$CYPERF_RIG_KUBE_BIN/kubectl" \
         "$CYPERF_RIG_ETCD_BIN/etcd" "$CYPERF_RIG_KWOK_BIN/kwokctl" \
         "$CYPERF_RIG_K8S_PROVIDER_BIN/pulumi-resource-kubernetes"; do
  [[ -x "$b" ]] || die "missing $b: run 'bash rig/build.sh' (or 'make rig') first"
done

KWOKCTL=("$CYPERF_RIG_KWOK_BIN/kwokctl" --name "$CYPERF_RIG_CLUSTER")
K=("$CYPERF_RIG_KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG")

cluster_exists() { "${KWOKCTL[@]}" get clusters 2>/dev/null | grep -qx "$CYPERF_RIG_CLUSTER"; }
apiserver_ok() { "${K[@]}" --request-timeout=2s get --raw /readyz >/dev/null 2>&1; }

if cluster_exists && [[ "${CYPERF_RIG_FRESH:-0}" == 1 ]]; then
  log "CYPERF_RIG_FRESH=1: deleting the running rig first"
  bash "$RIG_DIR/stop.sh"
  mkdir -p "$CYPERF_RIG_STATE/logs" "$KWOK_WORKDIR"; touch "$CYPERF_RIG_STATE/.cyperf-rig-state"
fi

# live rig processes listed in kwokctl's pid files (only our cached binaries count)
rig_pids() {
  local f pid exe
  for f in "$KWOK_WORKDIR/clusters/$CYPERF_RIG_CLUSTER"/pids/*.pid; do
    [[ -f "$f" ]] || continue
    pid="$(tr -dc 0-9 <"$f")"; exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    [[ -n "$pid" && "$exe" == "$CYPERF_RIG_CACHE"/* ]] && echo "$pid"
  done
  return 0
}

if cluster_exists && ! apiserver_ok; then
  # e.g. after a reboot, or a component died: restart all components on the kept etcd data.
  # maybe it is just starting (only worth waiting for while its processes live)
  for _ in $(seq 5); do [[ -n "$(rig_pids)" ]] || break; apiserver_ok && break; sleep 1; done
fi
if cluster_exists && ! apiserver_ok; then
  log "cluster $CYPERF_RIG_CLUSTER exists but its apiserver does not answer: kwokctl stop + start"
  "${KWOKCTL[@]}" stop cluster >>"$LOG" 2>&1 || true
  # kwokctl start skips a component whose old process is still shutting down: wait for them
  for _ in $(seq 60); do [[ -z "$(rig_pids)" ]] && break; sleep 0.5; done
  "${KWOKCTL[@]}" start cluster >>"$LOG" 2>&1 || true
  for _ in $(seq 60); do apiserver_ok && break; sleep 1; done
  apiserver_ok || die "cluster $CYPERF_RIG_CLUSTER is broken: run rig/stop.sh, then rig/start.sh"
fi

if cluster_exists; then
  log "reusing running cluster $CYPERF_RIG_CLUSTER"
else
  CFG="$CYPERF_RIG_STATE/kwokctl.yaml"
  cat >"$CFG" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeVersion: $RIG_KUBE_VERSION
  etcdBinary: $CYPERF_RIG_ETCD_BIN/etcd
  kubeApiserverBinary: $CYPERF_RIG_KUBE_BIN/kube-apiserver
  kubeControllerManagerBinary: $CYPERF_RIG_KUBE_BIN/kube-controller-manager
  kubeSchedulerBinary: $CYPERF_RIG_KUBE_BIN/kube-scheduler
  kubectlBinary: $CYPERF_RIG_KUBE_BIN/kubectl
  kwokControllerBinary: $CYPERF_RIG_KWOK_BIN/kwok
  cacheDir: $KWOK_WORKDIR/cache
  # Pod logs from files named by Logs/ClusterLogs objects created at run time (kubectl logs on
  # fake pods; tests/e2e/test_ops.py). The default stages stay in the kwok config.
  enableCRDs: [Logs, ClusterLogs]
componentsPatches:
- name: kube-apiserver
  extraArgs:
  - key: service-cluster-ip-range
    value: $CYPERF_RIG_SERVICE_CIDR
# Pod IPs: a flag, not a KwokConfiguration document (kwokctl 0.8.0 then skips that
# document's defaults and the kwok controller exits: "node leases parallelism must be > 0").
- name: kwok-controller
  extraArgs:
  - key: cidr
    value: $CYPERF_RIG_POD_CIDR
EOF
  log "creating cluster $CYPERF_RIG_CLUSTER (kwokctl, runtime binary, 127.0.0.1)"
  "${KWOKCTL[@]}" create cluster --config "$CFG" --kubeconfig "$KUBECONFIG" --wait 120s >>"$LOG" 2>&1 \
    || die "kwokctl create cluster failed (see $LOG)"
  log "control plane up: $("${K[@]}" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')"
fi

# ---- fake nodes
node_yaml() { # name agenttype|""
  local name="$1" agent="$2"
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
$( [[ -n "$agent" ]] && echo "    agenttype: $agent" )
status:
  allocatable: {cpu: "$NODE_CPU", memory: $NODE_MEMORY, pods: "$NODE_PODS", ephemeral-storage: 100Gi}
  capacity: {cpu: "$NODE_CPU", memory: $NODE_MEMORY, pods: "$NODE_PODS", ephemeral-storage: 100Gi}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
---
EOF
}
{
  for i in $(seq 1 "$CLIENT_NODES"); do node_yaml "rig-client-$i" client; done
  for i in $(seq 1 "$SERVER_NODES"); do node_yaml "rig-server-$i" server; done
  for i in $(seq 1 "$PLAIN_NODES"); do node_yaml "rig-node-$i" ""; done
} >"$CYPERF_RIG_STATE/nodes.yaml"
TOTAL_NODES=$((CLIENT_NODES + SERVER_NODES + PLAIN_NODES))
"${K[@]}" apply -f "$CYPERF_RIG_STATE/nodes.yaml" >>"$LOG" 2>&1 || die "creating nodes failed (see $LOG)"
log "applied $TOTAL_NODES fake nodes ($CLIENT_NODES client, $SERVER_NODES server, $PLAIN_NODES unlabelled)"
# One list per check: `kubectl wait node --all` gets the nodes one by one, which takes over 100 s
# for the benchmark's 1,000 nodes (bench/scale.py).
ready_nodes() {
  "${K[@]}" get nodes -l type=kwok -o jsonpath='{range .items[*]}{range .status.conditions[?(@.type=="Ready")]}{.status}{"\n"}{end}{end}' 2>>"$LOG" | grep -c True || true
}
for _ in $(seq 240); do [[ "$(ready_nodes)" -ge "$TOTAL_NODES" ]] && break; sleep 0.5; done
[[ "$(ready_nodes)" -ge "$TOTAL_NODES" ]] || die "only $(ready_nodes) of $TOTAL_NODES nodes Ready after 120 s (see $LOG)"
log "all nodes Ready"

# ---- kube-dns Service (kwok runs no DNS; programs only need the Service and its ClusterIP)
if ! "${K[@]}" -n kube-system get service kube-dns >/dev/null 2>&1; then
  "${K[@]}" apply -f - >>"$LOG" 2>&1 <<EOF || die "creating kube-dns Service failed"
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: $CYPERF_RIG_DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
EOF
  log "created Service kube-system/kube-dns at $CYPERF_RIG_DNS_IP"
fi

# Pods are only admitted once the controller-manager made the namespace's default ServiceAccount.
for _ in $(seq 120); do
  "${K[@]}" -n default get serviceaccount default >/dev/null 2>&1 && break; sleep 0.5
done
"${K[@]}" -n default get serviceaccount default >/dev/null 2>&1 || die "no default ServiceAccount (controller-manager down?)"

# ---- Pulumi home: the Kubernetes provider as plugin v$CYPERF_RIG_K8S_PROVIDER_VERSION
mkdir -p "$PULUMI_HOME" "${PULUMI_BACKEND_URL#file://}"
PLUGIN_DIR="$PULUMI_HOME/plugins/resource-kubernetes-v$CYPERF_RIG_K8S_PROVIDER_VERSION"
if ! cmp -s "$CYPERF_RIG_K8S_PROVIDER_BIN/pulumi-resource-kubernetes" "$PLUGIN_DIR/pulumi-resource-kubernetes"; then
  pulumi plugin install resource kubernetes "v$CYPERF_RIG_K8S_PROVIDER_VERSION" \
    --file "$CYPERF_RIG_K8S_PROVIDER_BIN/pulumi-resource-kubernetes" >>"$LOG" 2>&1 \
    || die "pulumi plugin install failed (see $LOG)"
  log "installed pulumi plugin resource kubernetes v$CYPERF_RIG_K8S_PROVIDER_VERSION into $PULUMI_HOME"
fi

log "rig ready: $TOTAL_NODES nodes; KUBECONFIG=$KUBECONFIG PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL"
log "use it with: source rig/env.sh"
