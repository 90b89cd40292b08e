# What the propagation kernel (_propagate.pyx) returns; fastroute.bgp.propagate
# turns a status into an exception in one place (its ``_raise_for``).

cpdef enum Status:
    OK = 0
    NO_MEMORY = 1          # a workspace or pool could not grow
    PATH_TOO_LONG = 2      # an AS_PATH or CLUSTER_LIST grew past MAX_PATH_LEN
    EVENT_LIMIT = 3        # a class did not converge within max_events updates

cpdef enum:
    MAX_PATH_LEN = 8       # longest AS_PATH / CLUSTER_LIST a path may carry
