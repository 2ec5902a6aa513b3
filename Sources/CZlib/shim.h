/* shim.h — zlib for Swift. inflateInit2 is a macro (it passes the library version and the
 * stream's size), so a static inline function gives Swift something to call. */
#ifndef BERTH_CZLIB_SHIM_H
#define BERTH_CZLIB_SHIM_H
#include <zlib.h>

static inline int berth_inflate_init_gzip(z_stream *stream) {
    /* 15 window bits + 16: a gzip header and trailer, checked by zlib. */
    return inflateInit2(stream, 15 + 16);
}
#endif
