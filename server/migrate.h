/* Numbered migrations, embedded at build time from sql/NNN_*.sql. Each is
 * applied once, in its own transaction, under an advisory lock (several
 * daemons may start at once), and recorded with its SHA-256; a recorded
 * migration whose text changed stops start-up. */
#ifndef KOOP_MIGRATE_H
#define KOOP_MIGRATE_H

#include <libpq-fe.h>

struct koop_migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct koop_migration koop_migrations[];
extern const int koop_migration_count;

/* Applies pending migrations on conn (an admin connection). Returns 0, or -1
 * after printing why on stderr. */
int koop_migrate(PGconn *conn);

#endif
