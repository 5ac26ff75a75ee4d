/* The composition root: kooperd's command line. main.c parses arguments and
 * dispatches the commands, wiring the resources (api/) into the machinery
 * (server/); admin.c holds the admin commands. Nothing in server/ or api/
 * includes this. */
#ifndef KOOP_CLI_H
#define KOOP_CLI_H

/* The options of the admin commands, as given on the command line (borrowed
 * from argv; NULL when absent). */
struct cli_args {
    const char *name, *teryt, *kind, *voivodeship, *role, *tenant, *partner, *email, *days;
    const char
        *scopes[16]; /* each --scope given (a name, or several separated by spaces or commas) */
    int nscopes;
};

/* Registers the admin commands' statements (before the first connection). */
void cli_admin_init(void);

/* Each returns the process exit status: 0 done (the id or token printed alone
 * on stdout), 1 the database refused or failed (the problem on stderr), 2 a
 * bad option. */
int cli_create_tenant(const struct cli_args *a);
int cli_create_token(const struct cli_args *a);

#endif
