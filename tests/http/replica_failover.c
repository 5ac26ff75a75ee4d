/* The standby stopped mid-run: two clients keep reading (and one writing,
 * then reading with its token) through it all; not one request fails, reads
 * fall back to the primary, /readyz stays ready, and once the standby is
 * started again reads return to it by themselves. */
#include "replica.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

/* A client's loop until SIGTERM: exits with the number of failed requests (at most 100). */
static void load(const char *admin, const char *id, bool writes)
{
    signal(SIGTERM, on_term);
    long n = 0, failed = 0;
    while (!stop) {
        struct resp *r;
        if (writes && n % 4 == 0) {
            char pid[37], token[64];
            long st = rep_partner(admin, uniq("Partner obciążenia"), pid, token);
            n++;
            if (st != 201 || !token[0]) {
                failed++;
                fprintf(stderr, "failover: a write answered %ld\n", st);
                continue;
            }
            const char *h[] = {fmt("Koop-Consistency: %s", token), NULL};
            r = rep("GET", fmt("/v1/partners/%s", pid), admin, NULL, h);
        } else {
            r = rep("GET", n % 2 ? fmt("/v1/partners/%s", id) : "/v1/partners?limit=10", admin,
                    NULL, NULL);
        }
        n++;
        if (r->status != 200) {
            failed++;
            fprintf(stderr, "failover: a read answered %ld %s\n", r->status, r->body);
        }
        resp_free(r);
    }
    fprintf(stderr, "failover: a client sent %ld requests, %ld failed\n", n, failed);
    _exit(failed > 100 ? 100 : (int)failed);
}

static void nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

START_TEST(a_stopped_standby_fails_no_request)
{
    char tenant[37], admin[80], id[37], token[64];
    rep_tenant(tenant, admin);
    ck_assert_int_eq(rep_partner(admin, uniq("Partner stały"), id, token), 201);
    standby_wait(token);
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        ck_assert_int_ge(kids[i], 0);
        if (kids[i] == 0)
            load(admin, id, i == 0);
    }
    const char *replica = "koop_replica_reads_total{served_by=\"replica\"}";
    const char *down = "koop_replica_fallbacks_total{reason=\"down\"}";
    nap(1000);
    long down0 = rep_metric(down);
    ck_assert_int_gt(rep_metric(replica), 0);
    ck_assert_int_eq(standby_ctl("stop"), 0);
    nap(1500);
    ck_assert_int_eq(rep_metric("koop_replica_up{replica=\"1\"}"), 0);
    ck_assert_int_gt(rep_metric(down), down0);
    struct resp *r = rep("GET", "/readyz", NULL, NULL, NULL);
    ck_assert_int_eq(r->status, 200); /* a replica down is not the service down */
    resp_free(r);
    long on_replica = rep_metric(replica);
    nap(500);
    ck_assert_int_eq(rep_metric(replica), on_replica); /* nothing read from a stopped standby */
    ck_assert_int_eq(standby_ctl("start"), 0);
    /* back by itself: within a few seconds reads run on the standby again */
    bool back = false;
    for (int i = 0; i < 100 && !back; i++) {
        nap(100);
        back = rep_metric(replica) > on_replica + 20 &&
               rep_metric("koop_replica_up{replica=\"1\"}") == 1;
    }
    ck_assert_msg(back, "reads did not return to the restarted standby");
    nap(500);
    for (int i = 0; i < 2; i++) {
        kill(kids[i], SIGTERM);
        int st = 0;
        ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "client %d: %d requests failed while the standby stopped and started", i,
                      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
}
END_TEST

TCase *tcase_replica_failover(void)
{
    TCase *tc = tcase_create("failover");
    tcase_add_test(tc, a_stopped_standby_fails_no_request);
    return tc;
}
