# What the simulator kernels (_engine.pyx) report: Engine.rc after a run and the
# status of enumerate_paths; and the scripted actions Engine.schedule takes.  fastroute.sim.engine turns a status into an
# exception in one place (its ``raise_for``).

cpdef enum Status:
    OK = 0
    EVENT_LIMIT = 1        # Engine.run: max_events events processed
    NO_MEMORY = 2          # a state array could not grow
    PATH_LIMIT = 3         # enumerate_paths: more than max_paths paths
    CLUSTER_LIST_LOOP = 4  # enumerate_paths: a CLUSTER_LIST grew past its limit
    AS_PATH_LONG = 5       # enumerate_paths: an AS_PATH grew past the same limit

cpdef enum Action:
    # scripted scenario actions (Engine.schedule's kind; a, b, c its arguments)
    BIRD_START = 0      # a: node, b: 1 = started with -R (graceful-restart recovery)
    BIRD_STOP = 1       # a: node, b: 1 = graceful (TCP closed, peers keep stale routes)
    CRASH = 2           # a: node (silent: peers wait for the hold timer)
    DELETE = 3          # a: node (confd removes the peers' protocols: immediate withdraw)
    PAIR_ADD = 4        # a: pair (protocol configured on both ends)
    PAIR_REMOVE = 5     # a: pair (protocol removed on both ends)
    CHURN = 6           # a: class, b: prefixes added (<0 removed), c: pods that become reachable
    MEASURE = 7         # start counting unreachability from now
    NODE_ALIVE = 8      # a: node: the node (and its pods) exists from now

cpdef enum PathFlag:
    # per path of the universe (Engine's p_flags)
    F_SELF = 1          # aggregate mode: a path of a cohort's own class bundle that reaches the cohort again
    F_BACK = 2          # aggregate mode: ... straight back from the speaker it was sent to
    F_BEST = 4          # received on a session without ADD-PATH (a Router's, or a node's toward one):
                        # its sender announces there only its best path
