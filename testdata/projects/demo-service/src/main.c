/* demo-service: the project's own code. vouch attests what it vendors
 * under third_party/, not this file. */
#include "zlib.h"
#include "minijson.h"

int main(void) { return minijson_ok() && zlib_demo_ok() ? 0 : 1; }
