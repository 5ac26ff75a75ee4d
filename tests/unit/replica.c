/* server/replica.c's pure parts: the consistency token's syntax. */
#include "unit.h"

#include "replica.h"

START_TEST(lsn_parse)
{
    uint64_t v = 0;
    ck_assert(replica_lsn_parse("0/3244F78", &v));
    ck_assert_uint_eq(v, 0x3244F78u);
    ck_assert(replica_lsn_parse("16/b374d848", &v));
    ck_assert_uint_eq(v, (uint64_t)0x16 << 32 | 0xB374D848u);
    ck_assert(replica_lsn_parse("FFFFFFFF/FFFFFFFF", &v));
    ck_assert_uint_eq(v, UINT64_MAX);
    const char *bad[] = {"",      "/",           "0/",          "/0",   "x/1",
                         "1/2/3", "123456789/1", "1/123456789", " 1/2", "1/2 ",
                         "1 /2",  "-1/2",        "0x1/2",       NULL};
    for (const char *const *b = bad; *b; b++) {
        v = 42;
        ck_assert_msg(!replica_lsn_parse(*b, &v), "'%s' was accepted", *b);
        ck_assert_uint_eq(v, 42);
    }
}
END_TEST

Suite *suite_replica(void)
{
    Suite *s = suite_create("replica");
    TCase *tc = tcase_create("lsn");
    tcase_add_test(tc, lsn_parse);
    suite_add_tcase(s, tc);
    return s;
}
