# C types shared by the kernels.
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t

ctypedef uint32_t addr_t     # an IPv4 address
ctypedef uint8_t plen_t      # a prefix length
ctypedef int32_t nh_t        # a next-hop id (value); -1 = no route
