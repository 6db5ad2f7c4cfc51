/* vouch demo stand-in for inflate.c (test data, not zlib) */
#include "zlib.h"
int zlib_demo_ok(void) { return 1; }
