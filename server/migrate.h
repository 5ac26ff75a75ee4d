/* The database schema and its functions, embedded at build time from sql/ (scripts/embed-sql.sh).
 *
 * Schema files (sql/schema/NNN_*.sql: tables, constraints, indexes, policies, grants) are
 * applied once each, in order, each in its own transaction, and recorded in schema_migrations
 * with their SHA-256; a recorded file whose text changed stops `migrate` (write a new file).
 *
 * Function files (the .sql files of sql/functions/, ordered by sql/functions.list) are reapplied on
 * every migrate, all in one transaction, after the schema files: each function's live definition is
 * in exactly one of them. In that transaction, functions in schema koop and triggers calling
 * them that no file (re)defined are dropped.
 *
 * Everything runs under one advisory lock, so several daemons may start at once. */
#ifndef KOOP_MIGRATE_H
#define KOOP_MIGRATE_H

#include <libpq-fe.h>

struct koop_migration {
    int version;
    const char *name;
    const char *sql;
};

struct koop_sqlfile {
    const char *name;
    int early; /* also applied before each pending schema file (policies call it) */
    const char *sql;
};

extern const struct koop_migration koop_migrations[];
extern const int koop_migration_count;
extern const struct koop_sqlfile koop_function_files[];
extern const int koop_function_file_count;

/* The version the schema is at once every embedded schema file is applied. */
int koop_schema_version(void);

/* ALTER ROLE koop_serve LOGIN PASSWORD password (KOOP_SERVE_PASSWORD), as the owner after
 * migrating. Returns 0, or -1 with a message on stderr. */
int koop_serve_login(PGconn *c, const char *password);

/* Applies pending schema files and reapplies the function files on conn (an owner's
 * connection). Returns 0, or -1 after printing why on stderr. */
int koop_migrate(PGconn *conn);

#endif
