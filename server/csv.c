#include "csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char koop_csv_separator(const char *data, size_t len)
{
    size_t commas = 0, semis = 0;
    bool q = false;
    for (size_t i = 0; i < len && (q || (data[i] != '\n' && data[i] != '\r')); i++) {
        if (data[i] == '"')
            q = !q;
        else if (!q && data[i] == ',')
            commas++;
        else if (!q && data[i] == ';')
            semis++;
    }
    return semis > commas ? ';' : ',';
}

struct field {
    char *p;
    size_t n, cap;
};

static int field_add(struct field *f, char c)
{
    if (f->n + 2 > f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        char *np = realloc(f->p, cap);
        if (!np)
            return -1;
        f->p = np;
        f->cap = cap;
    }
    f->p[f->n++] = c;
    f->p[f->n] = 0;
    return 0;
}

json_t *koop_csv_parse(const char *data, size_t len, size_t max_rows, json_t **sheet_rows,
                       char *err, size_t errlen)
{
    json_t *numbers = json_array();
    size_t sheet_row = 1;
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
        (unsigned char)data[2] == 0xBF) {
        data += 3;
        len -= 3;
    }
    char sep = koop_csv_separator(data, len);
    json_t *rows = json_array(), *row = json_array();
    struct field f = {0};
    bool quoted = false, was_quoted = false, row_has_data = false;
    size_t line = 1, quote_line = 0;
    field_add(&f, 0);
    f.n = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? data[i] : '\n';
        bool end = i == len;
        if (quoted) {
            if (end) {
                snprintf(err, errlen, "a quoted field opened on line %zu is never closed",
                         quote_line);
                goto fail;
            }
            if (c == '"') {
                if (i + 1 < len && data[i + 1] == '"') {
                    field_add(&f, '"');
                    i++;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n')
                    line++;
                if (field_add(&f, c) != 0)
                    goto oom;
            }
            continue;
        }
        if (c == '"') {
            if (f.n != 0 || was_quoted) {
                snprintf(err, errlen, "line %zu: a quote inside an unquoted field", line);
                goto fail;
            }
            quoted = was_quoted = true;
            quote_line = line;
            row_has_data = true;
            continue;
        }
        if (c == sep || c == '\n' || c == '\r') {
            if (c == sep)
                row_has_data = true;
            if (c != sep && !row_has_data && f.n == 0) {
                /* a blank line (or the LF of a CRLF) */
                if (c == '\n') {
                    line++;
                    if (i > 0 && data[i - 1] != '\r')
                        sheet_row++;
                } else if (c == '\r') {
                    sheet_row++;
                }
                continue;
            }
            json_t *s = json_stringn(f.p ? f.p : "", f.n);
            if (!s) {
                snprintf(err, errlen, "line %zu is not valid UTF-8", line);
                goto fail;
            }
            json_array_append_new(row, s);
            f.n = 0;
            was_quoted = false;
            if (c != sep) {
                json_array_append_new(rows, row);
                json_array_append_new(numbers, json_integer((json_int_t)sheet_row++));
                row = json_array();
                row_has_data = false;
                if (json_array_size(rows) > max_rows) {
                    snprintf(err, errlen, "more than %zu rows", max_rows - 1);
                    goto fail;
                }
                if (c == '\n')
                    line++;
            }
            continue;
        }
        if (was_quoted) {
            snprintf(err, errlen, "line %zu: text after a closing quote", line);
            goto fail;
        }
        row_has_data = true;
        if (field_add(&f, c) != 0)
            goto oom;
    }
    free(f.p);
    json_decref(row);
    if (sheet_rows)
        *sheet_rows = numbers;
    else
        json_decref(numbers);
    return rows;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    free(f.p);
    json_decref(row);
    json_decref(rows);
    json_decref(numbers);
    return NULL;
}
