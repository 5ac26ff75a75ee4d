#include "pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W 595.276 /* A4 in points */
#define PAGE_H 841.890
#define MARGIN 62.0
#define FOOTER_Y (PAGE_H - 36.0)
#define BOTTOM (PAGE_H - 64.0) /* text stops above the footer */

struct koop_pdf {
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoLayout *layout;      /* the text being set */
    PangoLayout *foot_layout; /* the footer's, so that a page break mid-paragraph keeps layout */
    char *buf;                /* the PDF as cairo writes it */
    size_t len, cap;
    bool failed;
    double y; /* where the next line goes */
    int page;
    char footer[512];
};

static cairo_status_t collect(void *closure, const unsigned char *data, unsigned int n)
{
    struct koop_pdf *d = closure;
    if (d->len + n > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 65536;
        while (cap < d->len + n)
            cap *= 2;
        char *b = realloc(d->buf, cap);
        if (!b) {
            d->failed = true;
            return CAIRO_STATUS_WRITE_ERROR;
        }
        d->buf = b;
        d->cap = cap;
    }
    memcpy(d->buf + d->len, data, n);
    d->len += n;
    return CAIRO_STATUS_SUCCESS;
}

static void style(struct koop_pdf *d, enum koop_pdf_style s)
{
    static const struct {
        const char *font;
        PangoAlignment align;
        double grey;
    } styles[] = {
        [PDF_TITLE] = {"DejaVu Sans Bold 17", PANGO_ALIGN_CENTER, 0},
        [PDF_HEADING] = {"DejaVu Sans Bold 12.5", PANGO_ALIGN_LEFT, 0},
        [PDF_BODY] = {"DejaVu Sans 10.5", PANGO_ALIGN_LEFT, 0},
        [PDF_LEAD] = {"DejaVu Sans Bold 15", PANGO_ALIGN_CENTER, 0},
        [PDF_CENTRED] = {"DejaVu Sans 10.5", PANGO_ALIGN_CENTER, 0},
        [PDF_SMALL] = {"DejaVu Sans 8.5", PANGO_ALIGN_LEFT, 0.35},
    };
    PangoFontDescription *f = pango_font_description_from_string(styles[s].font);
    pango_layout_set_font_description(d->layout, f);
    pango_font_description_free(f);
    pango_layout_set_alignment(d->layout, styles[s].align);
    pango_layout_set_attributes(d->layout, NULL);
    cairo_set_source_rgb(d->cr, styles[s].grey, styles[s].grey, styles[s].grey);
}

static void footer(struct koop_pdf *d)
{
    char text[600];
    snprintf(text, sizeof text, "%s — strona %d", d->footer, d->page);
    cairo_save(d->cr);
    cairo_set_source_rgb(d->cr, 0.35, 0.35, 0.35);
    pango_layout_set_text(d->foot_layout, text, -1);
    cairo_move_to(d->cr, MARGIN, FOOTER_Y);
    pango_cairo_show_layout(d->cr, d->foot_layout);
    cairo_restore(d->cr);
}

static void new_page(struct koop_pdf *d)
{
    footer(d);
    cairo_show_page(d->cr);
    d->page++;
    d->y = MARGIN;
}

struct koop_pdf *koop_pdf_begin(const char *title, const char *footer_text)
{
    struct koop_pdf *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->surface = cairo_pdf_surface_create_for_stream(collect, d, PAGE_W, PAGE_H);
    if (cairo_surface_status(d->surface) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(d->surface);
        free(d);
        return NULL;
    }
    cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATOR, "Kooperacje");
    d->cr = cairo_create(d->surface);
    d->layout = pango_cairo_create_layout(d->cr);
    pango_layout_set_width(d->layout, (int)((PAGE_W - 2 * MARGIN) * PANGO_SCALE));
    pango_layout_set_wrap(d->layout, PANGO_WRAP_WORD_CHAR);
    d->foot_layout = pango_cairo_create_layout(d->cr);
    pango_layout_set_width(d->foot_layout, (int)((PAGE_W - 2 * MARGIN) * PANGO_SCALE));
    PangoFontDescription *f = pango_font_description_from_string("DejaVu Sans 7.5");
    pango_layout_set_font_description(d->foot_layout, f);
    pango_font_description_free(f);
    d->page = 1;
    d->y = MARGIN;
    snprintf(d->footer, sizeof d->footer, "%s", footer_text ? footer_text : "");
    return d;
}

#define S ((double)PANGO_SCALE)

/* Shows the current layout line by line from d->y; a line that would cross the bottom margin
 * goes to the top of a new page, and the rest of the paragraph follows it there. */
static void show(struct koop_pdf *d)
{
    PangoLayoutIter *it = pango_layout_get_iter(d->layout);
    double shift = d->y; /* the page y of the layout's top */
    do {
        PangoRectangle r;
        pango_layout_iter_get_line_extents(it, NULL, &r);
        double top = r.y / S + shift, h = r.height / S;
        if (top + h > BOTTOM && top > MARGIN) {
            new_page(d);
            shift = MARGIN - r.y / S;
            top = MARGIN;
        }
        cairo_move_to(d->cr, MARGIN + r.x / S, pango_layout_iter_get_baseline(it) / S + shift);
        pango_cairo_show_layout_line(d->cr, pango_layout_iter_get_line_readonly(it));
        d->y = top + h;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
}

void koop_pdf_text(struct koop_pdf *d, enum koop_pdf_style s, const char *text)
{
    if (!text || !*text)
        return;
    style(d, s);
    pango_layout_set_text(d->layout, text, -1);
    show(d);
    d->y += s == PDF_TITLE ? 14 : s == PDF_HEADING ? 6 : 4;
}

void koop_pdf_field(struct koop_pdf *d, const char *label, const char *value)
{
    if (!value || !*value)
        return;
    char *text = g_strdup_printf("%s: %s", label, value);
    style(d, PDF_BODY);
    pango_layout_set_text(d->layout, text, -1);
    /* the label in bold, by byte range: no markup is ever parsed */
    PangoAttrList *attrs = pango_attr_list_new();
    PangoAttribute *bold = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
    bold->start_index = 0;
    bold->end_index = (guint)strlen(label) + 1;
    pango_attr_list_insert(attrs, bold);
    pango_layout_set_attributes(d->layout, attrs);
    pango_attr_list_unref(attrs);
    show(d);
    pango_layout_set_attributes(d->layout, NULL);
    g_free(text);
    d->y += 3;
}

void koop_pdf_gap(struct koop_pdf *d, double points)
{
    d->y += points;
    if (d->y > BOTTOM)
        new_page(d);
}

void koop_pdf_signature(struct koop_pdf *d, const char *name, const char *caption)
{
    if (d->y + 62 > BOTTOM)
        new_page(d);
    d->y += 34;
    cairo_save(d->cr);
    cairo_set_source_rgb(d->cr, 0, 0, 0);
    cairo_set_line_width(d->cr, 0.6);
    cairo_move_to(d->cr, MARGIN, d->y);
    cairo_line_to(d->cr, MARGIN + 230, d->y);
    cairo_stroke(d->cr);
    cairo_restore(d->cr);
    d->y += 3;
    koop_pdf_text(d, PDF_BODY, name);
    koop_pdf_text(d, PDF_SMALL, caption);
}

char *koop_pdf_end(struct koop_pdf *d, size_t *len)
{
    footer(d);
    cairo_show_page(d->cr);
    g_object_unref(d->foot_layout);
    g_object_unref(d->layout);
    cairo_destroy(d->cr);
    cairo_surface_finish(d->surface);
    bool ok = !d->failed && cairo_surface_status(d->surface) == CAIRO_STATUS_SUCCESS;
    cairo_surface_destroy(d->surface);
    char *out = ok ? d->buf : NULL;
    if (!ok)
        free(d->buf);
    *len = ok ? d->len : 0;
    free(d);
    return out;
}
