#include <zstd.h>
// ZSTD_getErrorCode and the error enum, to tell a window too large from corrupt data.
#include <zstd_errors.h>
// ZDICT_trainFromBuffer: the spool trains a dictionary per topic (issue 20).
#include <zdict.h>
