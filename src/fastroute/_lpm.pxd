# Status codes of the longest-prefix-match kernel (_lpm.pyx).
#
# The kernel reports every failure as one of these codes and never formats an
# error itself: a C-level kernel returns the code, a Python-edge method hands it
# (with the offending key, value or index) to the table's ``_raise_status``,
# which :mod:`fastroute.fib` implements with the one code -> exception table
# (``fastroute.fib.raise_status``).

cpdef enum:
    MAX_VALUE = 0x7FFFFFFE  # largest value a prefix may map to; -1 means no route

cpdef enum Status:
    ST_OK = 0
    ST_NOMEM = 1            # out of memory; the table is unchanged
    # batch validation (index = position in the batch)
    ST_PLEN = 2             # prefix length out of range
    ST_HOSTBITS = 3         # host bits set beyond the prefix length
    ST_VALUE = 4            # value outside 0..MAX_VALUE
    ST_BATCH_SHAPE = 5      # networks, lengths and values of different lengths
    # batch lookups
    ST_ADDR_ARRAY = 6       # addresses not a uint32 (n,) / uint64 (n, 2) array
    ST_OUT_ARRAY = 7        # `out` not a writable, C-contiguous, one-dimensional int32 array
    ST_OUT_LENGTH = 8       # `out` not exactly one slot per address
    # single keys and values
    ST_VERSION = 10         # IP version other than 4 or 6
    ST_BUSY = 11            # modification while a batch lookup runs
    ST_REENTRANT = 14       # the table used from inside one of its own operations (same thread)
    ST_MISSING = 12         # exact key not stored
    ST_KEY_VALUE = 13       # value for one prefix outside 0..MAX_VALUE or not an int
    # prefix keys
    ST_PREFIX_SYNTAX = 20   # text that is not a prefix
    ST_PREFIX_LENGTH = 21   # text whose length is missing, not a number or out of range
    ST_PREFIX_HOSTBITS = 22 # text with host bits set
    ST_TUPLE_ARITY = 23     # a tuple key that is not (network, length)
    ST_TUPLE_LENGTH = 24    # a tuple key whose length is not an int
    ST_TUPLE_RANGE = 25     # a tuple key whose length is out of range
    ST_TUPLE_HOSTBITS = 26  # a tuple key with host bits set
    ST_KEY_FAMILY = 27      # an ipaddress key of the other IP version
    ST_KEY_TYPE = 28        # a key of an unsupported type
    # addresses
    ST_ADDR_SYNTAX = 30     # text that is not an address
    ST_ADDR_RANGE = 31      # an int outside the family's address range
    ST_ADDR_FAMILY = 32     # an ipaddress address of the other IP version
    ST_ADDR_TYPE = 33       # an address of an unsupported type
