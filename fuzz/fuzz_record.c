/*
 * fuzz_record.c - the station record parser (pick, met, status) on arbitrary bytes,
 * with and without a mission to check stations against.
 */
#include <truceline/record.h>

#include <stdlib.h>

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
    struct tl_record r;
    struct tl_diag d;
    tl_record_parse((const char *)data, size, m, &r, &d);
    tl_record_parse((const char *)data, size, NULL, &r, &d);
    return 0;
}
