/*
 * report_page.c - GET /report/{date}: the daily report as one HTML page.
 *
 * Placeholder until the report renderer (src/report/) lands: answers 501.
 */
#include "server_priv.h"

int
tl__handle_report(struct tl__req *r)
{
    return tl__respond_error(r, 501, "not_implemented", NULL, "the daily report is not built yet");
}
