# shellcheck shell=bash
# Source me:  source rig/env.sh
# Points kubectl, kwokctl and pulumi at the local rig (see rig/README.md).
# Only exports variables; starts nothing.
_rig_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$_rig_here/versions.sh"

export CYPERF_RIG_CACHE="$RIG_CACHE"
export CYPERF_RIG_STATE="${CYPERF_RIG_STATE:-$RIG_CACHE/state}"
export CYPERF_RIG_CLUSTER="${CYPERF_RIG_CLUSTER:-cyperf-rig}"
# Address plan of the fake cluster (nothing listens on these; read them from the API only).
export CYPERF_RIG_SERVICE_CIDR="${CYPERF_RIG_SERVICE_CIDR:-10.96.0.0/16}"
export CYPERF_RIG_POD_CIDR="${CYPERF_RIG_POD_CIDR:-10.244.0.0/16}"
export CYPERF_RIG_DNS_IP="${CYPERF_RIG_DNS_IP:-10.96.0.10}"

# binaries (built by rig/build.sh, cached by version)
export CYPERF_RIG_PULUMI_BIN="$(rig_bin_dir pulumi "$RIG_PULUMI_VERSION")"
export CYPERF_RIG_KUBE_BIN="$(rig_bin_dir kubernetes "$RIG_KUBE_VERSION")"
export CYPERF_RIG_ETCD_BIN="$(rig_bin_dir etcd "$RIG_ETCD_VERSION")"
export CYPERF_RIG_KWOK_BIN="$(rig_bin_dir kwok "$RIG_KWOK_VERSION")"
export CYPERF_RIG_K8S_PROVIDER_BIN="$(rig_bin_dir pulumi-kubernetes "$RIG_K8S_PROVIDER_VERSION-${RIG_K8S_PROVIDER_MODULE_VERSION##*-}")"
export CYPERF_RIG_K8S_PROVIDER_VERSION="$RIG_K8S_PROVIDER_VERSION"

# kwokctl keeps its clusters under $KWOK_WORKDIR instead of ~/.kwok
export KWOK_WORKDIR="$CYPERF_RIG_STATE/kwok"
export KUBECONFIG="$CYPERF_RIG_STATE/kubeconfig"

# Pulumi: local file backend, no network, fixed test passphrase
export PULUMI_HOME="$CYPERF_RIG_STATE/pulumi-home"
export PULUMI_BACKEND_URL="file://$CYPERF_RIG_STATE/pulumi-backend"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-cyperf-rig-test-only}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

case ":$PATH:" in
  *":$CYPERF_RIG_PULUMI_BIN:"*) ;;
  *) export PATH="$CYPERF_RIG_PULUMI_BIN:$CYPERF_RIG_KUBE_BIN:$CYPERF_RIG_KWOK_BIN:$CYPERF_RIG_ETCD_BIN:$PATH" ;;
esac
unset _rig_here
