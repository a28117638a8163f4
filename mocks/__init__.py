"""One set of Pulumi mocks for the unit tests and the benchmarks.

It never imports the project's `components` package (tests/mocks/test_harness.py proves it), so the
benchmarks' bare-SDK floor can use the same mocks without paying for the project's imports.

- `monitor`: the mock monitor that records every registration, read and component output.
- `cluster`: a Kubernetes API server's answers (ClusterIPs, node ports, reads).
- `aws`: AWS and pulumi-eks answers (zones, partition, VPC and subnet lookups, remote
  components' outputs) on top of the cluster's.
- `harness`: runs a program under the mocks with preview=False and waits for every output.
"""
