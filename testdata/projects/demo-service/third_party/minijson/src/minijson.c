/* minijson: a tiny JSON reader vendored into the vouch demo (test data). */
#include "minijson.h"
int minijson_ok(void) { return 1; }
