"""What the nodes' kernels do with packets: every node's routing table (Felix's
and BIRD's programming per pool mode), packet traces, traffic matrices and the
cluster-wide reachability checks."""
