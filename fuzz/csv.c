/* Fuzz target: the CSV import parser (server/csv.c).
 *
 * Framing: the whole input is the file, exactly size bytes (not
 * NUL-terminated: the parser must stay within len); max_rows is 1 + the first
 * byte's value, so the row limit is reached often.
 *
 * Checks: on success an array of 1..max_rows rows, each an array of strings,
 * with a parallel array of strictly increasing spreadsheet row numbers from 1;
 * on failure a non-empty reason. The separator is ',' or ';'. */
#include "csv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz/csv: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t max_rows = size ? 1 + (size_t)data[0] : 1;
    char *copy = malloc(size ? size : 1); /* exactly size bytes: ASan sees any read past len */
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    char sep = koop_csv_separator(copy, size);
    if (sep != ',' && sep != ';')
        fail("separator neither ',' nor ';'");
    char err[256] = "";
    json_t *sheet = NULL;
    json_t *rows = koop_csv_parse(copy, size, max_rows, &sheet, err, sizeof err);
    if (!rows) {
        if (!err[0])
            fail("NULL without a reason");
        json_decref(sheet);
        free(copy);
        return 0;
    }
    if (!json_is_array(rows) || json_array_size(rows) > max_rows)
        fail("not an array of at most max_rows rows");
    if (!json_is_array(sheet) || json_array_size(sheet) != json_array_size(rows))
        fail("sheet_rows is not parallel to the rows");
    json_int_t prev = 0;
    size_t i, j;
    json_t *row, *cell;
    json_array_foreach(rows, i, row)
    {
        if (!json_is_array(row))
            fail("a row is not an array");
        json_array_foreach(row, j, cell) if (!json_is_string(cell)) fail("a cell is not a string");
        json_t *num = json_array_get(sheet, i);
        if (!json_is_integer(num) || json_integer_value(num) <= prev)
            fail("sheet row numbers do not increase from 1");
        prev = json_integer_value(num);
    }
    json_decref(rows);
    json_decref(sheet);
    free(copy);
    return 0;
}
