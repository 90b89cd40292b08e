# What the simulator kernels (_engine.pyx) report: Engine.rc after a run and the
# status of enumerate_ibgp.  fastroute.sim.engine turns a status into an
# exception in one place (its ``raise_for``).

cpdef enum Status:
    OK = 0
    EVENT_LIMIT = 1        # Engine.run: max_events events processed
    NO_MEMORY = 2          # a state array could not grow
    PATH_LIMIT = 3         # enumerate_ibgp: more than max_paths paths
    CLUSTER_LIST_LOOP = 4  # enumerate_ibgp: a CLUSTER_LIST grew past its limit
