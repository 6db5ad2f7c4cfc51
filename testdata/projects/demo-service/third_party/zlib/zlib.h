/* vouch demo stand-in for zlib.h (test data, not zlib) */
#ifndef DEMO_ZLIB_H
#define DEMO_ZLIB_H
#define ZLIB_VERSION "1.3.1"
int zlib_demo_ok(void);
#endif
