/* RFC 4180 CSV as spreadsheets export it: UTF-8 (a BOM is skipped), comma or
 * semicolon separated (detected from the header line), quoted fields with ""
 * escapes and line breaks inside quotes, CRLF or LF line ends. */
#ifndef KOOP_CSV_H
#define KOOP_CSV_H

#include <jansson.h>
#include <stddef.h>

/* Parses data into a new JSON array of rows, each an array of strings (the
 * header is row 0). Blank lines are skipped. Returns the array, or NULL with
 * a client-facing reason in err (e.g. an unterminated quote and its line).
 * max_rows bounds the rows accepted (header included). When sheet_rows is
 * not NULL it receives a parallel array of the rows' numbers as a
 * spreadsheet shows them (header = 1; blank lines count, line breaks inside
 * quoted fields do not). */
json_t *koop_csv_parse(const char *data, size_t len, size_t max_rows, json_t **sheet_rows,
                       char *err, size_t errlen);

/* The separator the header line uses: ';' when it has more semicolons than
 * commas outside quotes, else ','. */
char koop_csv_separator(const char *data, size_t len);

#endif
