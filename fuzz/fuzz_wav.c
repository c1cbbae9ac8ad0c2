/*
 * fuzz_wav.c - the audio reader of station processing: libsndfile on
 * arbitrary bytes and the JSON sidecar parser.  The input is the sidecar's
 * text, a NUL byte, then the audio file's bytes; without a NUL, all of it is
 * audio under a fixed sidecar.  Whatever decodes goes through a detector.
 */
#include <truceline/detect.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char MISSION[] =
    "{\"type\":\"FeatureCollection\",\"mission\":{\"name\":\"F\",\"parties\":{\"left\":\"A\","
    "\"right\":\"B\"}},\"features\":[{\"type\":\"Feature\",\"properties\":{\"kind\":"
    "\"contact_line\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[37.6,48.1],"
    "[37.75,48.21]]}},{\"type\":\"Feature\",\"properties\":{\"kind\":\"station\",\"id\":\"S1\"},"
    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.71,48.19,180]}},{\"type\":\"Feature\","
    "\"properties\":{\"kind\":\"station\",\"id\":\"ARR\",\"array\":[[0,0,0],[20,0,0],[0,20,0],"
    "[-15,-15,0]]},\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.65,48.15,150]}}]}";

static const char SIDECAR[] = "{\"station\":\"S1\",\"start\":\"2026-03-01T00:00:00Z\"}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tl_mission *m;
    if (!m && tl_mission_load_buffer(MISSION, sizeof(MISSION) - 1, "fuzz", &m, NULL) != TL_OK) {
        abort();
    }
    const char *side = SIDECAR;
    size_t side_len = sizeof(SIDECAR) - 1;
    const uint8_t *audio = data;
    size_t audio_len = size;
    const uint8_t *nul = memchr(data, 0, size);
    if (nul) {
        side = (const char *)data;
        side_len = (size_t)(nul - data);
        audio = nul + 1;
        audio_len = size - side_len - 1;
    }
    struct tl_detector *d = NULL;
    if (tl_detector_new(m, NULL, NULL, NULL, &d) != TL_OK) {
        abort();
    }
    struct tl_diag diag;
    tl_detect_wav_buffer(d, audio, audio_len, side, side_len, "fuzz", &diag);
    tl_detector_flush(d);
    tl_detector_free(d);
    return 0;
}
