"""What confd and BIRD make of a cluster: the peers confd's templates expand
to, the bird.cfg it renders, the one graph of established BGP sessions, and the
best paths BIRD's decision process picks over it (a Cython kernel held to a
pure-Python reference)."""
