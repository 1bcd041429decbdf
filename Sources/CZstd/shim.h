#include <zstd.h>
// ZSTD_getErrorCode and the error enum, to tell a window too large from corrupt data.
#include <zstd_errors.h>
// The spool trains a dictionary per topic (issue 20) with fastCover's
// parameters set (f: its frequency table), which the static-linking section
// declares; Debian's libzstd exports them.
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
