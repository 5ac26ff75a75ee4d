#include "pii.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void note_pii(const char *s)
{
    const char *path = getenv("KOOP_TEST_PII_FILE");
    if (!path || !*path || !s || !*s)
        return;
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%s\n", s);
        fclose(f);
    }
}

void make_pesel(int year, int month, int day, int female, char out[12])
{
    static int counter;
    int serial = (int)(getpid() % 500) + __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST) * 2;
    int mm = month + (year >= 2200   ? 60
                      : year >= 2100 ? 40
                      : year >= 2000 ? 20
                      : year >= 1900 ? 0
                                     : 80);
    int sex = (serial % 5) * 2 + (female ? 0 : 1); /* even = female */
    char buf[64];
    snprintf(buf, sizeof buf, "%02d%02d%02d%03d%d", year % 100, mm % 100, day % 100, serial % 1000,
             sex % 10);
    for (int i = 0; i < 10; i++)
        out[i] = buf[i];
    static const int w[] = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += w[i] * (out[i] - '0');
    out[10] = (char)('0' + (10 - sum % 10) % 10);
    out[11] = 0;
    note_pii(out);
}
