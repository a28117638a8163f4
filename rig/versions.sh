# shellcheck shell=bash
# Versions of every rig piece. Sourced by build.sh and env.sh; changing one
# version makes build.sh rebuild only that piece (binaries are cached by version).
RIG_PULUMI_VERSION="${RIG_PULUMI_VERSION:-v3.274.1}"          # Pulumi CLI + Python language host
RIG_K8S_PROVIDER_VERSION="${RIG_K8S_PROVIDER_VERSION:-4.34.2}" # pulumi-resource-kubernetes (== pip pulumi-kubernetes pin)
RIG_ETCD_VERSION="${RIG_ETCD_VERSION:-v3.6.16}"
RIG_KUBE_VERSION="${RIG_KUBE_VERSION:-v1.36.3}"               # kube-apiserver, -controller-manager, -scheduler, kubectl
RIG_KWOK_VERSION="${RIG_KWOK_VERSION:-v0.8.0}"                # kwok, kwokctl

RIG_CACHE="${CYPERF_RIG_CACHE:-$HOME/.cache/cyperf-k8s-rig}"

rig_bin_dir() { # piece version -> directory holding that piece's binaries
  printf '%s/bin-%s-%s\n' "$RIG_CACHE" "$1" "$2"
}

# The module proxy serves exactly one version of the Kubernetes provider module
# (github.com/pulumi/pulumi-kubernetes/provider/v4); no module version is tagged 4.34.2.
# See README.md "Deviations". It is installed as plugin v$RIG_K8S_PROVIDER_VERSION.
RIG_K8S_PROVIDER_MODULE_VERSION="${RIG_K8S_PROVIDER_MODULE_VERSION:-v4.0.0-20260115033456-f47bc2d6f199}"
