/*
 * fuzz_mission.c - the mission loader on arbitrary bytes; an accepted mission is
 * also queried (line position, zones, description) to reach the geometry code.
 */
#include <truceline/geo.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tl_mission_problems pr;
    struct tl_mission *m = NULL;
    if (tl_mission_load_buffer((const char *)data, size, "fuzz", &m, &pr) == TL_OK) {
        struct tl_line_pos pos;
        tl_mission_line_pos(m, 48.2, 37.7, &pos);
        for (size_t i = 0; i < tl_mission_zone_count(m); i++) {
            tl_mission_in_zone(m, i, 48.2, 37.7);
        }
        char buf[128];
        tl_mission_describe(m, 48.2, 37.7, buf, sizeof(buf));
        tl_mission_free(m);
    }
    return 0;
}
