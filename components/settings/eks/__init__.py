"""The `eks` settings section, loaded only for `cluster: eks`: one module per part (network,
cluster, cni, node groups), the section as a whole, and the EKS stack model."""
