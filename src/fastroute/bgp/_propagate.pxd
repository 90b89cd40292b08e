# What the propagation kernel (_propagate.pyx) returns; fastroute.bgp.propagate
# turns a status into an exception in one place (its ``_raise_for``) and
# re-exports Reason.

cpdef enum Status:
    OK = 0
    NO_MEMORY = 1          # a workspace or pool could not grow
    PATH_TOO_LONG = 2      # an AS_PATH or CLUSTER_LIST grew past MAX_PATH_LEN
    EVENT_LIMIT = 3        # a class did not converge within max_events updates

cpdef enum:
    MAX_PATH_LEN = 8       # longest AS_PATH / CLUSTER_LIST a path may carry
    # BIRD 1.6: nest/route.h DEF_PREF_STATIC and DEF_PREF_BGP; proto/bgp/config.Y default_local_pref
    PREF_STATIC = 200      # static protocol: Calico's block blackholes
    PREF_BGP = 100
    DEFAULT_LOCAL_PREF = 100

cpdef enum Role:
    # What a speaker is, for the export rules that depend on it.
    ROLE_NODE = 0          # a Calico node: its export filter passes only its pools' prefixes,
                           # so it passes on no Router's announcements
    ROLE_ROUTER = 1        # a Router (or an external sink): sends every best path
    ROLE_ROUTER_OWN = 2    # a Router with export originated/default: sends Calico nodes only its own

cpdef enum Reason:
    # The step of BIRD 1.6's bgp_rte_better (proto/bgp/attrs.c), after the generic
    # route preference, that separated the best path from the runner-up.
    ONLY = 0            # a single candidate
    PREFERENCE = 1      # protocol preference: static 200 beats BGP 100
    LOCAL_PREF = 2
    AS_PATH = 3         # RFC 4271 9.1.2.2 a
    ORIGIN = 4          # 9.1.2.2 b
    MED = 5             # 9.1.2.2 c
    EBGP = 6            # 9.1.2.2 d: external over internal
    IGP_METRIC = 7      # 9.1.2.2 e: on-subnet next hop (0) beats unknown
    ROUTER_ID = 8       # 9.1.2.2 f with RFC 4456 9: ORIGINATOR_ID else peer router id
    CLUSTER_LIST = 9    # RFC 4456 9: shorter CLUSTER_LIST
    PEER_ADDRESS = 10   # 9.1.2.2 g: lowest peer address
    EQUAL = 11          # indistinguishable (the same path twice)
