/* server/oidc.c, its pure parts: the dotted claim path, exp/nbf with skew, aud, the JWT shape. */
#include "unit.h"

#include "oidc.h"

#include <string.h>

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    ck_assert_msg(o != NULL, "%s", e.text);
    return o;
}

START_TEST(claim_paths)
{
    json_t *c = parse("{\"koop_role\":\"admin\",\"realm_access\":{\"koop_role\":\"coordinator\","
                      "\"deep\":{\"x\":{\"y\":\"z\"}},\"roles\":[\"a\"]},"
                      "\"a.b\":\"dotted key\",\"n\":7,\"nul\":null}");
    ck_assert_str_eq(json_string_value(koop_oidc_claim(c, "koop_role")), "admin");
    ck_assert_str_eq(json_string_value(koop_oidc_claim(c, "realm_access.koop_role")),
                     "coordinator");
    ck_assert_str_eq(json_string_value(koop_oidc_claim(c, "realm_access.deep.x.y")), "z");
    ck_assert(json_is_object(koop_oidc_claim(c, "realm_access.deep")));
    ck_assert(json_is_integer(koop_oidc_claim(c, "n")));
    ck_assert(json_is_null(koop_oidc_claim(c, "nul")));
    /* missing steps, steps through a non-object, into arrays, empty steps: nothing */
    ck_assert_ptr_null(koop_oidc_claim(c, "missing"));
    ck_assert_ptr_null(koop_oidc_claim(c, "realm_access.missing"));
    ck_assert_ptr_null(koop_oidc_claim(c, "koop_role.x"));
    ck_assert_ptr_null(koop_oidc_claim(c, "n.x"));
    ck_assert_ptr_null(koop_oidc_claim(c, "realm_access.roles.0"));
    ck_assert_ptr_null(koop_oidc_claim(c, "realm_access.deep.x.y.z"));
    ck_assert_ptr_null(koop_oidc_claim(c, ""));
    ck_assert_ptr_null(koop_oidc_claim(c, NULL));
    ck_assert_ptr_null(koop_oidc_claim(c, ".koop_role"));
    ck_assert_ptr_null(koop_oidc_claim(c, "realm_access..koop_role"));
    ck_assert_ptr_null(koop_oidc_claim(c, "realm_access."));
    /* a dot always separates: a key holding a dot is not reachable */
    ck_assert_ptr_null(koop_oidc_claim(c, "a.b"));
    ck_assert_ptr_null(koop_oidc_claim(NULL, "koop_role"));
    json_decref(c);
}
END_TEST

START_TEST(times_with_skew)
{
    const char *msg = NULL;
    long long exp = 0;
    json_t *c = parse("{\"exp\":1000,\"nbf\":900}");
    /* inside [nbf - skew, exp + skew) */
    ck_assert_int_eq(koop_oidc_check_times(c, 950, 0, &exp, &msg), 0);
    ck_assert_int_eq(exp, 1000);
    ck_assert_int_eq(koop_oidc_check_times(c, 999, 0, NULL, &msg), 0);
    ck_assert_int_eq(koop_oidc_check_times(c, 1000, 0, NULL, &msg), -1); /* exp is exclusive */
    ck_assert_str_eq(msg, "the token has expired");
    ck_assert_int_eq(koop_oidc_check_times(c, 1029, 30, NULL, &msg), 0);
    ck_assert_int_eq(koop_oidc_check_times(c, 1030, 30, NULL, &msg), -1);
    ck_assert_int_eq(koop_oidc_check_times(c, 900, 0, NULL, &msg), 0); /* nbf is inclusive */
    ck_assert_int_eq(koop_oidc_check_times(c, 899, 0, NULL, &msg), -1);
    ck_assert_str_eq(msg, "the token is not valid yet (nbf)");
    ck_assert_int_eq(koop_oidc_check_times(c, 870, 30, NULL, &msg), 0);
    ck_assert_int_eq(koop_oidc_check_times(c, 869, 30, NULL, &msg), -1);
    json_decref(c);
    /* exp is required and numeric; nbf optional but numeric; fractions are seconds */
    c = parse("{\"nbf\":1}");
    ck_assert_int_eq(koop_oidc_check_times(c, 5, 30, NULL, &msg), -1);
    ck_assert_str_eq(msg, "the token has no expiry (exp)");
    json_decref(c);
    c = parse("{\"exp\":\"2000\"}");
    ck_assert_int_eq(koop_oidc_check_times(c, 5, 30, NULL, &msg), -1);
    json_decref(c);
    c = parse("{\"exp\":2000,\"nbf\":\"1\"}");
    ck_assert_int_eq(koop_oidc_check_times(c, 5, 30, NULL, &msg), -1);
    ck_assert_str_eq(msg, "the token's nbf is not a number");
    json_decref(c);
    c = parse("{\"exp\":2000.5}");
    ck_assert_int_eq(koop_oidc_check_times(c, 1999, 0, &exp, &msg), 0);
    ck_assert_int_eq(exp, 2000);
    json_decref(c);
}
END_TEST

START_TEST(audience)
{
    json_t *c = parse("{\"aud\":\"https://api.example\"}");
    ck_assert(koop_oidc_aud_ok(c, "https://api.example"));
    ck_assert(!koop_oidc_aud_ok(c, "https://api.example/"));
    json_decref(c);
    c = parse("{\"aud\":[\"other\",\"https://api.example\"]}");
    ck_assert(koop_oidc_aud_ok(c, "https://api.example"));
    ck_assert(!koop_oidc_aud_ok(c, "third"));
    json_decref(c);
    c = parse("{\"aud\":[1,null]}");
    ck_assert(!koop_oidc_aud_ok(c, "1"));
    json_decref(c);
    c = parse("{}");
    ck_assert(!koop_oidc_aud_ok(c, "x"));
    json_decref(c);
}
END_TEST

START_TEST(jwt_shape)
{
    const char *jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    ck_assert(koop_oidc_looks_like_jwt(jwt, strlen(jwt)));
    const char *opaque = "koop_2xJ0cQ7a9Ue0S6HcGm8tXfYb1nL4wPzVkR3dEoIuAsq";
    ck_assert(!koop_oidc_looks_like_jwt(opaque, strlen(opaque)));
    ck_assert(!koop_oidc_looks_like_jwt("eyJ.a", 5));
    ck_assert(!koop_oidc_looks_like_jwt("eyJa.b.c.d", 10));
    ck_assert(!koop_oidc_looks_like_jwt("abc.def.ghi", 11));
}
END_TEST

Suite *suite_oidc(void)
{
    Suite *s = suite_create("oidc");
    TCase *tc = tcase_create("claims");
    tcase_add_test(tc, claim_paths);
    tcase_add_test(tc, times_with_skew);
    tcase_add_test(tc, audience);
    tcase_add_test(tc, jwt_shape);
    suite_add_tcase(s, tc);
    return s;
}
