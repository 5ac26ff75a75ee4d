/* Printable A4 documents as PDF: cairo draws, pango lays out the text (UTF-8, any Polish letter,
 * word wrap, paragraphs that continue on further pages). Text is always plain, never markup, so
 * record contents cannot change the layout. Every page carries the footer given at the start and
 * its page number. Fonts: DejaVu (Debian's fonts-dejavu-core), found through fontconfig. */
#ifndef KOOP_PDF_H
#define KOOP_PDF_H

#include <stddef.h>

enum koop_pdf_style {
    PDF_TITLE,   /* 17 pt bold, centred */
    PDF_HEADING, /* 12.5 pt bold */
    PDF_BODY,    /* 10.5 pt */
    PDF_LEAD,    /* 15 pt bold, centred: the name a certificate is for */
    PDF_CENTRED, /* 10.5 pt, centred */
    PDF_SMALL,   /* 8.5 pt, grey */
};

struct koop_pdf;

/* Starts a document; title becomes its PDF metadata title. footer is printed at the foot of every
 * page, before "strona N". Returns NULL when cairo cannot start one (out of memory). */
struct koop_pdf *koop_pdf_begin(const char *title, const char *footer);

/* A paragraph in style; NULL or empty text prints nothing. */
void koop_pdf_text(struct koop_pdf *d, enum koop_pdf_style style, const char *text);
/* "label: value" as one paragraph with a bold label; nothing when value is NULL or empty. */
void koop_pdf_field(struct koop_pdf *d, const char *label, const char *value);
/* Vertical space in points. */
void koop_pdf_gap(struct koop_pdf *d, double points);
/* A signature line with the name (or an empty line) and a caption under it; kept on one page. */
void koop_pdf_signature(struct koop_pdf *d, const char *name, const char *caption);

/* Ends the document and frees d. Returns the PDF (malloc'd, the caller frees it) and sets *len,
 * or returns NULL when cairo failed. */
char *koop_pdf_end(struct koop_pdf *d, size_t *len);

#endif
