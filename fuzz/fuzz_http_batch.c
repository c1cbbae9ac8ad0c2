/*
 * fuzz_http_batch.c - the ingest batch parser on arbitrary bodies.
 *
 * Every accepted record points inside the body, is of the batch's station and
 * has a de-duplication key; the bad-line list never exceeds its cap.
 */
#include <stdlib.h>
#include <string.h>

#include "server/server_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char MISSION[] =
    "{\"type\":\"FeatureCollection\",\"mission\":{\"name\":\"F\",\"parties\":{\"left\":\"A\","
    "\"right\":\"B\"}},\"features\":[{\"type\":\"Feature\",\"properties\":{\"kind\":"
    "\"contact_line\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[37.6,48.1],"
    "[37.75,48.21]]}},{\"type\":\"Feature\",\"properties\":{\"kind\":\"station\",\"id\":\"A012\"},"
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.71,48.19,180]}}]}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tl_mission *m;
    if (!m && tl_mission_load_buffer(MISSION, sizeof(MISSION) - 1, "fuzz", &m, NULL) != TL_OK) {
        abort();
    }
    struct tl__batch b;
    struct tl__batch_limits lim = {64, 4096, INT64_MAX};
    const char *body = (const char *)data;
    if (tl__batch_parse(body, size, "A012", m, &lim, &b) != TL_OK) {
        return 0;
    }
    if (b.n_bad > TL__MAX_BAD_LINES || b.n_bad > b.n_bad_total || b.n > lim.max_records) {
        abort();
    }
    for (size_t i = 0; i < b.n; i++) {
        const struct tl__brec *r = &b.recs[i];
        if (r->line < body || r->line + r->len > body + size || !r->dkey[0]) {
            abort();
        }
    }
    tl__batch_fini(&b);
    return 0;
}
