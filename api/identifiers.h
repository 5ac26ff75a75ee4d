/* Polish official identifiers and codes, validated with their checksums.
 * Each check returns NULL when valid, or an error code with *msg set (the
 * fs_check contract of server/spec.h). */
#ifndef KOOP_IDENTIFIERS_H
#define KOOP_IDENTIFIERS_H

const char *koop_check_nip(const char *s, const char **msg);
const char *koop_check_regon(const char *s, const char **msg);
const char *koop_check_krs(const char *s, const char **msg);
const char *koop_check_teryt(const char *s, const char **msg);
const char *koop_check_postal_code(const char *s, const char **msg);
/* PESEL: 11 digits, check digit (weights 1,3,7,9,...), a real birth date with
 * the century encoded in the month (+80 1800s, +20 2000s, +40, +60). */
const char *koop_check_pesel(const char *s, const char **msg);

#include "../server/spec.h"

/* A Polish postal address (street, building, postal_code, city), every part
 * optional; shared by partners, services' locations and families. */
extern const struct fs_field koop_address_fields[];

#endif
