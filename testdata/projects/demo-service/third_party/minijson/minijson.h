/* minijson: a tiny JSON reader vendored into the vouch demo (test data). */
int minijson_ok(void);
