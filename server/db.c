#include "db.h"
#include "migrate.h"

#include "config.h"
#include "log.h"
#include "problem.h"
#include "replica.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STMTS 256
#define MAX_PIPE 8
#define TX_ATTEMPTS 3
#define RETRY_AFTER_S 2

/* Each SELECT statement is also prepared as "c:<name>": the same statement with the
 * request context as its last seven parameters, set by a gating qual evaluated before any
 * row is fetched (koop.ctx_ok, sql/functions/context.sql), so a request that is one
 * statement is one statement in its own implicit transaction and one round trip. */
#define CTX_PREFIX "c:"
#define NCTX 7
static struct {
    const char *name, *sql;
    char *ctx_sql; /* the context-setting form, or NULL */
    int nparams;
} stmts[MAX_STMTS];
static int nstmts;
#define HASH_SLOTS 1024 /* > 2 * MAX_STMTS: name -> index + 1 */
static short stmt_hash[HASH_SLOTS];

static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int stmt_index(const char *name)
{
    for (unsigned h = name_hash(name) % HASH_SLOTS;; h = (h + 1) % HASH_SLOTS) {
        int i = stmt_hash[h] - 1;
        if (i < 0)
            return -1;
        if (strcmp(stmts[i].name, name) == 0)
            return i;
    }
}

/* the highest $n of a statement (our SQL holds no $ in literals) */
static int count_params(const char *sql)
{
    int max = 0;
    for (const char *p = sql; *p; p++)
        if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
            int v = (int)strtol(p + 1, NULL, 10);
            if (v > max)
                max = v;
        }
    return max;
}

static atomic_long st_open, st_busy, st_errors, st_connects;
static atomic_uint_fast64_t last_connect_ok; /* koop_now_us of the latest successful connect */

static pthread_key_t conn_key;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;
static __thread PGconn *t_conn;

/* Statements built at request time (db_exec_sql): prepared on first use on one of this
 * thread's connections, in the same round trip as their first execution, and kept with their
 * generic plan (plan_cache_mode = force_generic_plan) for the connection's lifetime. One cache
 * per connection: [0] the primary's, [1] the read replica's (server/replica.c). */
#define SQL_CACHE 128
struct sql_cache {
    PGconn *conn; /* the connection its statements are prepared on */
    struct {
        unsigned hash;
        char *sql; /* the text as prepared (with the context gate) */
    } e[SQL_CACHE];
    int n, next;
};
static __thread struct sql_cache t_cache[2];
static __thread uint64_t t_failed_at; /* when the last connect failed (us) */

static void conn_destroy(void *p)
{
    if (p) {
        db_conn_closing(p);
        PQfinish(p);
        atomic_fetch_sub(&st_open, 1);
    }
}
static void conn_key_init(void)
{
    pthread_key_create(&conn_key, conn_destroy);
}

/* sql (a SELECT of n parameters) with the request context as parameters n+1..n+7, set by a
 * one-time filter before any row or function of sql runs (malloc'd; NULL without memory). */
static char *gated_sql(const char *sql, int n)
{
    char *text = NULL;
    if (asprintf(&text,
                 "SELECT * FROM (%s) koop_q WHERE (SELECT koop.ctx_ok($%d, $%d, $%d, $%d, $%d, "
                 "$%d, $%d))",
                 sql, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7) < 0)
        return NULL;
    return text;
}

/* The request context, in koop.ctx's / koop.ctx_ok's order, into out[0..NCTX-1]. */
static void ctx_args(const struct kreq *req, const char **out)
{
    const struct koop_auth *a = &req->auth;
    const char *ctx[NCTX] = {a->tenant_id,  a->user_id,  koop_role_name(a->role),
                             a->partner_id, a->token_id, req->request_id,
                             req->ip};
    memcpy(out, ctx, sizeof ctx);
}

void db_register(const char *name, const char *sql)
{
    if (nstmts >= MAX_STMTS) {
        koop_log_error("too many prepared statements");
        abort(); /* a programming error at start-up, never at request time */
    }
    stmts[nstmts].name = name;
    stmts[nstmts].sql = sql;
    stmts[nstmts].nparams = count_params(sql);
    stmts[nstmts].ctx_sql = NULL;
    if (strncmp(sql, "SELECT ", 7) == 0) {
        stmts[nstmts].ctx_sql = gated_sql(sql, stmts[nstmts].nparams);
        if (!stmts[nstmts].ctx_sql)
            abort();
    }
    unsigned h = name_hash(name) % HASH_SLOTS;
    while (stmt_hash[h])
        h = (h + 1) % HASH_SLOTS;
    stmt_hash[h] = (short)(nstmts + 1);
    nstmts++;
}

void db_register_server(void)
{
    db_register("koop_ctx", "SELECT koop.ctx($1, $2, $3, $4, $5, $6, $7)");
    db_register("koop_timeout", "SELECT set_config('statement_timeout', $1, true)");
    db_register("koop_auth", "SELECT * FROM koop.auth($1, $2, $3)");
    db_register("koop_oidc_login",
                "SELECT * FROM koop.oidc_login($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
    db_register("koop_oidc_refused", "SELECT koop.oidc_refused($1, $2, $3, $4, $5, $6)");
    db_register("koop_idem_claim", "SELECT * FROM koop.idem_claim($1, $2, $3, $4)");
    db_register("koop_schema_version", "SELECT max(version) FROM schema_migrations");
    db_register("koop_audit_denied", "SELECT koop.audit_denied($1, $2, $3::uuid, $4::int)");
    db_register("koop_replay_lsn", "SELECT pg_last_wal_replay_lsn()::text"); /* server/replica.c */
    db_register("koop_audit_scope_denied", "SELECT koop.audit_scope_denied($1, $2, $3::uuid, $4)");
}

static PGconn *open_conn(const char *url, bool serving)
{
    char timeout[16], options[96];
    snprintf(timeout, sizeof timeout, "%d", koop_cfg.connect_timeout_s);
    snprintf(options, sizeof options, "-c statement_timeout=%d -c lock_timeout=%d",
             serving ? koop_cfg.statement_timeout_ms : 0,
             serving ? koop_cfg.statement_timeout_ms : 0);
    const char *keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
    const char *vals[] = {url, timeout, options, serving ? "kooperd" : "kooperd-admin", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        if (!serving)
            fprintf(stderr, "kooperd: cannot connect to the database: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

PGconn *db_admin_connect(const char *url)
{
    return open_conn(url, false);
}

PGconn *db_admin_connect_quiet(const char *url)
{
    return open_conn(url, true);
}

static bool setup_serving(PGconn *c)
{
    char setup[256];
    /* koop.pesel_duplicate_limit: read by koop.pesel_budget (sql/functions/families.sql) */
    snprintf(setup, sizeof setup,
             "SET ROLE koop_app; SET plan_cache_mode = force_generic_plan; "
             "SET TIME ZONE 'UTC'; SET koop.pesel_duplicate_limit = %d",
             koop_cfg.pesel_duplicate_limit > 0 ? koop_cfg.pesel_duplicate_limit : 10);
    PGresult *r = PQexec(c, setup);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        koop_log_error("cannot assume role koop_app (are migrations applied?)");
    PQclear(r);
    if (!ok || !PQenterPipelineMode(c))
        return false;
    int nsent = 0;
    for (int i = 0; i < nstmts; i++) {
        char cname[128];
        if (!PQsendPrepare(c, stmts[i].name, stmts[i].sql, 0, NULL))
            return false;
        nsent++;
        if (!stmts[i].ctx_sql)
            continue;
        snprintf(cname, sizeof cname, CTX_PREFIX "%s", stmts[i].name);
        if (!PQsendPrepare(c, cname, stmts[i].ctx_sql, 0, NULL))
            return false;
        nsent++;
    }
    if (!PQpipelineSync(c))
        return false;
    int failed = 0;
    for (int i = 0; i < nsent; i++) {
        PGresult *pr = PQgetResult(c);
        if (PQresultStatus(pr) != PGRES_COMMAND_OK) {
            if (!failed)
                koop_log_error("prepare failed: %s",
                               pr ? PQresultErrorField(pr, PG_DIAG_MESSAGE_PRIMARY) : "?");
            failed++;
        }
        PQclear(pr);
        PQclear(PQgetResult(c)); /* the NULL ending this query's results */
    }
    PGresult *sync = PQgetResult(c);
    ok = PQresultStatus(sync) == PGRES_PIPELINE_SYNC && !failed;
    PQclear(sync);
    return ok;
}

static void cache_clear(struct sql_cache *sc)
{
    for (int i = 0; i < sc->n; i++) {
        free(sc->e[i].sql);
        sc->e[i].sql = NULL;
    }
    sc->n = sc->next = 0;
    sc->conn = NULL;
}

static void sql_cache_clear(void)
{
    cache_clear(&t_cache[0]);
}

void db_conn_closing(PGconn *c)
{
    for (int i = 0; i < 2; i++)
        if (c && t_cache[i].conn == c)
            cache_clear(&t_cache[i]);
}

/* The cache of statements prepared on c (emptied when it was another connection's). */
static struct sql_cache *cache_of(PGconn *c)
{
    struct sql_cache *sc = &t_cache[c == t_conn ? 0 : 1];
    if (sc->conn != c) {
        cache_clear(sc);
        sc->conn = c;
    }
    return sc;
}

PGconn *db_serving_connect(const char *url)
{
    PGconn *c = open_conn(url, true);
    if (c && !setup_serving(c)) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

PGconn *db_thread_conn(void)
{
    pthread_once(&conn_once, conn_key_init);
    if (t_conn && PQstatus(t_conn) == CONNECTION_OK)
        return t_conn;
    if (t_conn)
        db_thread_reset();
    uint64_t now = koop_now_us();
    /* don't hammer a database that is down: after a failed connect this thread
     * answers 503 at once for a while, unless another thread got through since */
    if (t_failed_at && now - t_failed_at < 500000 && atomic_load(&last_connect_ok) < t_failed_at)
        return NULL;
    atomic_fetch_add(&st_connects, 1);
    PGconn *c = open_conn(koop_cfg.database_url, true);
    if (!c || !setup_serving(c)) {
        if (c)
            PQfinish(c);
        t_failed_at = now;
        atomic_fetch_add(&st_errors, 1);
        koop_log_warn("database unavailable");
        return NULL;
    }
    t_failed_at = 0;
    atomic_store(&last_connect_ok, koop_now_us());
    sql_cache_clear();
    t_conn = c;
    pthread_setspecific(conn_key, c);
    atomic_fetch_add(&st_open, 1);
    return c;
}

void db_thread_reset(void)
{
    sql_cache_clear();
    if (t_conn) {
        pthread_setspecific(conn_key, NULL);
        PQfinish(t_conn);
        t_conn = NULL;
        atomic_fetch_sub(&st_open, 1);
    }
}

/* ---- pipelines ---- */

struct step {
    const char *stmt; /* prepared name, or NULL for sql */
    const char *sql;
    int n;
    const char *const *vals;
    const Oid *types; /* with prepare: the parameters' types */
    bool prepare;     /* Parse sql as stmt (no execution) */
};

/* Sends steps + Sync and collects one result per step (results[i] owned by
 * caller; PGRES_PIPELINE_ABORTED for steps skipped after an error). Returns 0,
 * or -1 when the connection failed (results cleared). */
static int pipe_run(PGconn *c, const struct step *s, int n, PGresult **results)
{
    for (int i = 0; i < n; i++) {
        int ok = s[i].prepare ? PQsendPrepare(c, s[i].stmt, s[i].sql, s[i].n, s[i].types)
                 : s[i].stmt  ? PQsendQueryPrepared(c, s[i].stmt, s[i].n, s[i].vals, NULL, NULL, 0)
                              : PQsendQueryParams(c, s[i].sql, 0, NULL, NULL, NULL, NULL, 0);
        if (!ok)
            return -1;
    }
    if (!PQpipelineSync(c))
        return -1;
    int got = 0;
    for (int i = 0; i < n; i++) {
        results[i] = PQgetResult(c);
        if (!results[i]) {
            got = i;
            goto broken;
        }
        /* a query's results end with NULL */
        PGresult *extra;
        while ((extra = PQgetResult(c)) != NULL)
            PQclear(extra);
        got = i + 1;
    }
    PGresult *sync = PQgetResult(c);
    bool synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced)
        goto broken;
    return 0;
broken:
    for (int i = 0; i < got; i++) {
        PQclear(results[i]);
        results[i] = NULL;
    }
    return -1;
}

PGresult *db_exec_on(PGconn *c, const char *stmt)
{
    struct step s = {.stmt = stmt};
    PGresult *r = NULL;
    return pipe_run(c, &s, 1, &r) == 0 ? r : NULL;
}

static void unavailable(struct kres *res)
{
    koop_fail(res, P_UNAVAILABLE, "the database is unavailable; retry later");
    koop_res_header(res, "Retry-After", "%d", RETRY_AFTER_S);
}

bool db_map_error(const PGresult *r, struct kres *res)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!state) {
        unavailable(res);
        return false;
    }
    if (strncmp(state, "KP", 2) == 0) {
        /* Raised by our own SQL: KP<status>, HINT = problem code,
         * MESSAGE = detail, DETAIL = JSON object of extension members. */
        const char *code = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
        const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        const char *ext = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
        const struct koop_problem_def *d = koop_problem_by_code(code);
        enum koop_problem p = P_INTERNAL;
        for (int i = 0; d && i < P__COUNT; i++)
            if (koop_problem_def(i) == d)
                p = i;
        json_t *pj = koop_problem_json(p, msg);
        if (ext) {
            json_t *e = json_loads(ext, 0, NULL);
            if (json_is_object(e))
                json_object_update(pj, e);
            json_decref(e);
        }
        koop_res_json(res, koop_problem_def(p)->status, pj);
        return false;
    }
    if (!strcmp(state, "40001") || !strcmp(state, "40P01")) {
        unavailable(res);
        return true;
    }
    if (!strncmp(state, "22", 2)) {
        /* a data exception: a value the client sent (a forged cursor, a date
         * beyond PostgreSQL's range) that the database cannot interpret */
        koop_fail_field(res, "query", "request", "invalid",
                        "a value could not be interpreted by the database");
        return false;
    }
    if (!strcmp(state, "23505")) {
        koop_fail(res, P_CONFLICT, "a record with the same unique value already exists");
        return false;
    }
    if (!strcmp(state, "23503")) {
        koop_fail(res, P_CONFLICT, "the record is referenced by, or refers to, another record");
        return false;
    }
    if (!strncmp(state, "08", 2) || !strcmp(state, "57014") || !strncmp(state, "57P", 3) ||
        !strncmp(state, "53", 2) || !strcmp(state, "55P03")) {
        atomic_fetch_add(&st_errors, 1);
        koop_log_warn("database unavailable (sqlstate %s)", state);
        unavailable(res);
        return false;
    }
    atomic_fetch_add(&st_errors, 1);
    /* Primary messages name constraints and types, never values. */
    koop_log_error("sql error %s: %s", state, PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
    koop_fail(res, P_INTERNAL, "an internal error occurred; it has been logged");
    return false;
}

struct db_tx {
    PGconn *conn;
    const struct kreq *req;
    bool begun, done, broken, retry;
    bool block;    /* BEGIN was sent: COMMIT ends it (else the Sync commits) */
    bool want_lsn; /* read the commit LSN after COMMIT (server/replica.c) */
    char lsn[32];
    PGresult *keep[16];
    int nkeep;
};

/* The consistency token of a write: read after COMMIT in its round trip, the insert position
 * is past the commit record whatever synchronous_commit says (server/replica.h). A write that
 * wants it runs in a block (BEGIN ... COMMIT), never as a lone statement committed by the
 * pipeline's Sync, so that the token is read after the commit. */
#define LSN_SQL "SELECT pg_current_wal_insert_lsn()::text"
static void lsn_copy(struct db_tx *tx, const PGresult *r)
{
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(tx->lsn, sizeof tx->lsn, "%s", PQgetvalue(r, 0, 0));
}

/* Closes c after it broke: this thread's primary or replica connection. */
static void conn_drop(PGconn *c)
{
    if (c == t_conn)
        db_thread_reset();
    else
        replica_drop(c);
}

static void tx_keep(struct db_tx *tx, PGresult *r)
{
    if (tx->nkeep < (int)(sizeof tx->keep / sizeof tx->keep[0]))
        tx->keep[tx->nkeep++] = r;
    else
        PQclear(r); /* cannot happen with our handlers; never leak */
}

PGresult *db_exec(struct db_tx *tx, struct kres *res, unsigned flags, const char *stmt, int n,
                  const char *const *vals)
{
    struct step steps[MAX_PIPE];
    int ns = 0, first = 0;
    if (tx->done) {
        koop_log_error("db_exec after commit");
        koop_fail(res, P_INTERNAL, "an internal error occurred; it has been logged");
        return NULL;
    }
    char timeout[16], cname[128];
    const char *tv[] = {timeout};
    const char *cv[32 + NCTX];
    if (!tx->begun) {
        /* One statement that is the whole transaction runs in its own implicit transaction
         * (the pipeline's Sync commits it); the first of several opens a block. Either way
         * the context goes with the statement (its "c:" form), in the same round trip. */
        if (!(flags & DB_LAST) || tx->want_lsn) {
            steps[ns++] = (struct step){.sql = "BEGIN"};
            tx->block = true;
        }
        if (tx->req->statement_timeout_ms > 0) {
            /* armed when the next statement starts: local to this transaction */
            snprintf(timeout, sizeof timeout, "%d", tx->req->statement_timeout_ms);
            steps[ns++] = (struct step){.stmt = "koop_timeout", .n = 1, .vals = tv};
        }
        int i = stmt_index(stmt);
        if (i >= 0 && stmts[i].ctx_sql && n == stmts[i].nparams && n <= 32) {
            for (int k = 0; k < n; k++)
                cv[k] = vals[k];
            ctx_args(tx->req, cv + n);
            snprintf(cname, sizeof cname, CTX_PREFIX "%s", stmt);
            stmt = cname;
            vals = cv;
            n += NCTX;
        } else {
            ctx_args(tx->req, cv);
            steps[ns++] = (struct step){.stmt = "koop_ctx", .n = NCTX, .vals = cv};
        }
        first = ns;
    }
    steps[ns++] = (struct step){.stmt = stmt, .n = n, .vals = vals};
    if ((flags & DB_LAST) && tx->block)
        steps[ns++] = (struct step){.sql = "COMMIT"};
    bool lsn = (flags & DB_LAST) && tx->block && tx->want_lsn;
    if (lsn)
        steps[ns++] = (struct step){.sql = LSN_SQL};
    PGresult *r[MAX_PIPE] = {0};
    atomic_fetch_add(&st_busy, 1);
    int rc = pipe_run(tx->conn, steps, ns, r);
    atomic_fetch_sub(&st_busy, 1);
    if (rc != 0) {
        tx->broken = true;
        unavailable(res);
        return NULL;
    }
    tx->begun = true;
    PGresult *out = NULL;
    /* the token's SELECT after COMMIT cannot undo it: its result is no failure of the request */
    int scan = lsn ? ns - 1 : ns;
    for (int i = 0; i < scan && !out; i++) {
        ExecStatusType st = PQresultStatus(r[i]);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_ABORTED) {
            tx->retry = db_map_error(r[i], res); /* the first failure is the cause */
            for (int j = 0; j < ns; j++)
                PQclear(r[j]);
            return NULL;
        }
    }
    if (lsn)
        lsn_copy(tx, r[ns - 1]);
    for (int i = 0; i < ns; i++) {
        if (i == first)
            out = r[i];
        else
            PQclear(r[i]);
    }
    if (flags & DB_LAST)
        tx->done = true;
    tx_keep(tx, out);
    return out;
}

PGresult *db_exec_sql(struct db_tx *tx, struct kres *res, unsigned flags, const char *sql, int n,
                      const Oid *types, const char *const *vals)
{
    if (tx->done || tx->begun || !(flags & DB_LAST) || n > 32) {
        koop_log_error("db_exec_sql: not the single statement of its transaction");
        koop_fail(res, P_INTERNAL, "an internal error occurred; it has been logged");
        return NULL;
    }
    /* the statement with the request context as its last parameters (as db_register does) */
    char *text = gated_sql(sql, n);
    if (!text) {
        koop_fail(res, P_INTERNAL, "out of memory");
        return NULL;
    }
    struct sql_cache *sc = cache_of(tx->conn);
    unsigned h = name_hash(text);
    int slot = -1;
    for (int i = 0; i < sc->n; i++)
        if (sc->e[i].hash == h && sc->e[i].sql && strcmp(sc->e[i].sql, text) == 0) {
            slot = i;
            break;
        }
    struct step steps[5];
    int ns = 0;
    char name[24], old[40];
    bool fresh = slot < 0;
    if (fresh) {
        if (sc->n < SQL_CACHE) {
            slot = sc->n++;
        } else { /* full: the oldest goes */
            slot = sc->next;
            sc->next = (sc->next + 1) % SQL_CACHE;
            if (sc->e[slot].sql && *sc->e[slot].sql) { /* "" : its prepare had failed */
                snprintf(old, sizeof old, "DEALLOCATE \"d%d\"", slot);
                steps[ns++] = (struct step){.sql = old};
            }
            free(sc->e[slot].sql);
            sc->e[slot].sql = NULL;
        }
    }
    snprintf(name, sizeof name, "d%d", slot);
    Oid ty[32 + NCTX];
    const char *cv[32 + NCTX];
    for (int k = 0; k < n; k++) {
        ty[k] = types ? types[k] : 0;
        cv[k] = vals[k];
    }
    ctx_args(tx->req, cv + n);
    for (int k = 0; k < NCTX; k++)
        ty[n + k] = 25; /* text */
    int prep = ns;
    if (fresh)
        steps[ns++] =
            (struct step){.stmt = name, .sql = text, .n = n + NCTX, .types = ty, .prepare = true};
    char timeout[16];
    const char *tv[] = {timeout};
    if (tx->req->statement_timeout_ms > 0) {
        snprintf(timeout, sizeof timeout, "%d", tx->req->statement_timeout_ms);
        steps[ns++] = (struct step){.stmt = "koop_timeout", .n = 1, .vals = tv};
    }
    int first = ns;
    steps[ns++] = (struct step){.stmt = name, .n = n + NCTX, .vals = cv};
    PGresult *r[5] = {0};
    atomic_fetch_add(&st_busy, 1);
    int rc = pipe_run(tx->conn, steps, ns, r);
    atomic_fetch_sub(&st_busy, 1);
    if (rc != 0) {
        free(text);
        if (fresh) /* the connection is reset, and the cache with it */
            sc->e[slot].sql = strdup(""), sc->e[slot].hash = 0;
        tx->broken = true;
        unavailable(res);
        return NULL;
    }
    tx->begun = true;
    if (fresh) {
        if (PQresultStatus(r[prep]) == PGRES_COMMAND_OK) {
            sc->e[slot].sql = text;
            sc->e[slot].hash = h;
            text = NULL;
        } else {
            sc->e[slot].sql = strdup(""); /* never matches; replaced in turn */
            sc->e[slot].hash = 0;
        }
    }
    free(text);
    PGresult *out = NULL;
    for (int i = 0; i < ns; i++) {
        ExecStatusType st = PQresultStatus(r[i]);
        if (!out && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
            st != PGRES_PIPELINE_ABORTED) {
            tx->retry = db_map_error(r[i], res);
            for (int j = 0; j < ns; j++)
                PQclear(r[j]);
            return NULL;
        }
    }
    for (int i = 0; i < ns; i++) {
        if (i == first)
            out = r[i];
        else
            PQclear(r[i]);
    }
    tx->done = true;
    tx_keep(tx, out);
    return out;
}

PGresult *db_exec_once(struct kres *res, const char *stmt, int n, const char *const *vals)
{
    struct step s = {.stmt = stmt, .n = n, .vals = vals};
    PGresult *r = NULL;
    /* a connection that broke while idle (PostgreSQL restarted) is replaced
     * once: these statements are lookups, safe to send again */
    for (int attempt = 0;; attempt++) {
        PGconn *c = db_thread_conn();
        if (!c) {
            unavailable(res);
            return NULL;
        }
        if (pipe_run(c, &s, 1, &r) == 0)
            break;
        db_thread_reset();
        if (attempt == 1) {
            unavailable(res);
            return NULL;
        }
    }
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        db_map_error(r, res);
        PQclear(r);
        return NULL;
    }
    return r;
}

static void tx_end(struct db_tx *tx)
{
    for (int i = 0; i < tx->nkeep; i++)
        PQclear(tx->keep[i]);
    tx->nkeep = 0;
    if (tx->broken || PQstatus(tx->conn) != CONNECTION_OK) {
        conn_drop(tx->conn);
        return;
    }
    if (PQtransactionStatus(tx->conn) != PQTRANS_IDLE) {
        struct step s = {.sql = "ROLLBACK"};
        PGresult *r = NULL;
        if (pipe_run(tx->conn, &s, 1, &r) != 0)
            conn_drop(tx->conn);
        else
            PQclear(r);
    }
}

int db_run(struct kreq *req, struct kres *res, db_fn fn, void *arg)
{
    for (int attempt = 1;; attempt++) {
        PGconn *replica = replica_conn(req); /* NULL: the primary */
        PGconn *c = replica ? replica : db_thread_conn();
        if (!c) {
            unavailable(res);
            return -1;
        }
        struct db_tx tx = {.conn = c, .req = req, .want_lsn = !replica && replica_want_lsn(req)};
        int rc = fn(&tx, req, res, arg);
        if (rc == 0 && !tx.done && tx.block) {
            struct step s[] = {{.sql = "COMMIT"}, {.sql = LSN_SQL}};
            PGresult *r[2] = {0};
            int ns = tx.want_lsn ? 2 : 1;
            if (pipe_run(c, s, ns, r) != 0) {
                tx.broken = true;
                unavailable(res);
                rc = -1;
            } else if (PQresultStatus(r[0]) != PGRES_COMMAND_OK) {
                tx.retry = db_map_error(r[0], res);
                rc = -1;
            } else if (ns == 2) {
                lsn_copy(&tx, r[1]);
            }
            PQclear(r[0]);
            PQclear(r[1]);
        }
        bool broken_early = tx.broken && !tx.begun;
        bool conn_lost = tx.broken || PQstatus(c) != CONNECTION_OK;
        tx_end(&tx);
        if (rc == 0) {
            if (tx.lsn[0])
                replica_note_commit(tx.lsn);
            return 0;
        }
        /* a read a replica failed is answered by the primary (not counted as an attempt) */
        if (replica && replica_failed(c, conn_lost, res)) {
            json_decref(res->json);
            res->json = NULL;
            res->nheaders = 0;
            res->status = 0;
            attempt--;
            continue;
        }
        /* A connection that broke before anything was sent (PostgreSQL
         * restarted under us) is retried once on a fresh connection. */
        bool idempotent = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
        bool again = (tx.retry || (broken_early && idempotent)) && attempt < TX_ATTEMPTS;
        if (!again)
            return -1;
        json_decref(res->json);
        res->json = NULL;
        res->nheaders = 0;
        res->status = 0;
    }
}

void db_stats(long *open, long *busy, long *errors, long *connects)
{
    *open = atomic_load(&st_open);
    *busy = atomic_load(&st_busy);
    *errors = atomic_load(&st_errors);
    *connects = atomic_load(&st_connects);
}

bool db_ready(char *why, size_t whylen)
{
    struct kres res = {0};
    PGresult *r = db_exec_once(&res, "koop_schema_version", 0, NULL);
    json_decref(res.json);
    if (!r) {
        snprintf(why, whylen, "database unreachable");
        return false;
    }
    int v = PQntuples(r) ? atoi(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (v != koop_schema_version()) {
        snprintf(why, whylen, "schema at version %d, expected %d", v, koop_schema_version());
        return false;
    }
    return true;
}

int db_check_serving_login(char *why, size_t whylen)
{
    PGconn *c = open_conn(koop_cfg.database_url, false);
    if (!c) {
        snprintf(why, whylen, "cannot connect with DATABASE_URL");
        return -1;
    }
    /* what RESET ROLE would give back: the login's own attributes and memberships */
    PGresult *r = PQexec(
        c,
        "SELECT session_user, r.rolsuper, r.rolbypassrls, "
        "       pg_has_role(session_user, n.nspowner, 'MEMBER'), "
        "       pg_has_role(session_user, 'koop_app', 'MEMBER') "
        "  FROM pg_roles r, pg_namespace n WHERE r.rolname = session_user AND n.nspname = 'koop'");
    int rc = -1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        snprintf(why, whylen, "cannot check the serving login (are migrations applied?)");
    else if (!strcmp(PQgetvalue(r, 0, 1), "t") || !strcmp(PQgetvalue(r, 0, 2), "t") ||
             !strcmp(PQgetvalue(r, 0, 3), "t"))
        snprintf(why, whylen,
                 "DATABASE_URL's user %s is a superuser, may bypass row-level security or owns "
                 "the schema; serve connects as a login that owns nothing (koop_serve) and "
                 "migrations use DATABASE_OWNER_URL (see README, Configuration)",
                 PQgetvalue(r, 0, 0));
    else if (strcmp(PQgetvalue(r, 0, 4), "t") != 0)
        snprintf(why, whylen, "DATABASE_URL's user %s is not a member of koop_app",
                 PQgetvalue(r, 0, 0));
    else
        rc = 0;
    PQclear(r);
    PQfinish(c);
    return rc;
}
