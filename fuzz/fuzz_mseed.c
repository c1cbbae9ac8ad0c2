/*
 * fuzz_mseed.c - the miniSEED reader of station processing (libmseed's
 * record parser and decoders behind our own buffering) on arbitrary bytes,
 * fed to a detector of a two-station mission (one with an array), so that
 * whatever decodes also runs through the filters, triggers and pickers.
 */
#include <truceline/detect.h>

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char MISSION[] =
    "{\"type\":\"FeatureCollection\",\"mission\":{\"name\":\"F\",\"parties\":{\"left\":\"A\","
    "\"right\":\"B\"}},\"features\":[{\"type\":\"Feature\",\"properties\":{\"kind\":"
    "\"contact_line\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[37.6,48.1],"
    "[37.75,48.21]]}},{\"type\":\"Feature\",\"properties\":{\"kind\":\"station\",\"id\":\"S1\"},"
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.71,48.19,180]}},{\"type\":\"Feature\","
    "\"properties\":{\"kind\":\"station\",\"id\":\"ARR\",\"array\":[[0,0,0],[20,0,0],[0,20,0],"
    "[-15,-15,0]]},\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.65,48.15,150]}}]}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tl_mission *m;
    if (!m && tl_mission_load_buffer(MISSION, sizeof(MISSION) - 1, "fuzz", &m, NULL) != TL_OK) {
        abort();
    }
    struct tl_detector *d = NULL;
    if (tl_detector_new(m, NULL, NULL, NULL, &d) != TL_OK) {
        abort();
    }
    struct tl_diag diag;
    tl_detect_mseed_buffer(d, data, size, "fuzz", &diag);
    tl_detector_flush(d);
    tl_detector_free(d);
    return 0;
}
