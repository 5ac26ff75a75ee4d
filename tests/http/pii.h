/* Personal data the tests send (PESELs, surnames) are noted here; after the
 * suite, tests/run.sh greps the daemon's whole log for every one of them. */
#ifndef KOOP_TEST_PII_H
#define KOOP_TEST_PII_H

/* Appends s to $KOOP_TEST_PII_FILE (one per line); no-op when unset. */
void note_pii(const char *s);

/* A valid, invented PESEL for the date and sex, unique per call (serial
 * drawn from a counter). out must hold 12 bytes. Noted as PII. */
void make_pesel(int year, int month, int day, int female, char out[12]);

#endif
