// glibc's malloc statistics and trimming (mallinfo2, malloc_trim), which the
// Glibc module does not import: `spillway serve` hands back to the kernel the
// heap an outage's backlog leaves free (HeapTrimmer).
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
