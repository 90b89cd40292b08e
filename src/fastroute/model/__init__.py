"""The cluster as Calico stores it: resources read from YAML/JSON, the Cluster
they make, Calico's IPAM (blocks, affinities, pod addresses), label selectors,
Kubernetes names, synthetic clusters and the bundled example."""
