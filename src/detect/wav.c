/*
 * wav.c - audio files with a JSON sidecar as blocks of samples (formats.md
 * section 6).
 *
 * libsndfile (E. de Castro Lopo) reads WAV and the other formats it knows;
 * the sidecar NAME.json next to NAME.wav says whose samples they are:
 *   {"station":"A012","element":0,"start":"2026-03-01T04:12:30.000Z",
 *    "units":"pa","scale":1.0}
 * `start` is the time of the first sample; `element` defaults to 0 and
 * channel k of a multi-channel file is element `element + k`; `units` is "pa"
 * (the default) or "counts" (then divided by the detector's gain); the value
 * of a sample times `scale` (default 1) is in those units.  The value of a
 * sample is the integer code for integer PCM (a 16-bit file spans -32768 to
 * 32767, whatever libsndfile's normalisation) and the stored number for
 * floating-point files.  The file is read in chunks of CHUNK frames, so its
 * length does not matter.
 */
#include "src_priv.h"

#include <truceline/time.h>

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>

#define CHUNK       4096
#define MAX_SIDECAR (64 * 1024)

/* ------------------------------------------------------------ sidecar -- */

static int
sidecar_parse(struct tl__src *s, const char *text, size_t len, const char *name,
              struct tl_diag *diag)
{
    tl__diag_where(diag, name, 0);
    json_error_t je;
    bool oom;
    json_t *root = tl__json_loadb(text, len, JSON_REJECT_DUPLICATES, &je, &oom);
    if (oom) {
        return tl__diag(diag, TL_ENOMEM, NULL, "out of memory");
    }
    if (!root) {
        tl__diag_where(diag, name, je.line > 0 ? je.line : 0);
        return tl__diag(diag, TL_EPARSE, NULL, "not JSON: %s", je.text);
    }
    int rc = TL_EPARSE;
    if (!json_is_object(root)) {
        tl__diag(diag, rc, NULL, "not a JSON object");
        goto done;
    }
    json_t *v = json_object_get(root, "station");
    if (!json_is_string(v)) {
        tl__diag(diag, rc, "station", v ? "not a string" : "missing");
        goto done;
    }
    if (!tl_valid_station_id(json_string_value(v))) {
        tl__diag(diag, TL_ERANGE, "station", "not a SEED station code (1-5 of A-Z 0-9): %s",
                 json_string_value(v));
        rc = TL_EPARSE;
        goto done;
    }
    tl__strlcpy(s->station, json_string_value(v), sizeof(s->station));
    v = json_object_get(root, "start");
    if (!json_is_string(v)) {
        tl__diag(diag, rc, "start", v ? "not a string" : "missing");
        goto done;
    }
    const char *ts = json_string_value(v);
    if (tl_time_parse(ts, strlen(ts), &s->start_ns, NULL) != TL_OK) {
        tl__diag(diag, rc, "start", "not an RFC 3339 UTC time: %s", ts);
        goto done;
    }
    if (s->start_ns < TL__WAVE_T_MIN_NS || s->start_ns >= TL__WAVE_T_MAX_NS) {
        tl__diag(diag, rc, "start", "outside 1970-2200: %s", ts);
        goto done;
    }
    s->element = 0;
    v = json_object_get(root, "element");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) >= TL_MAX_ELEMENTS) {
            tl__diag(diag, rc, "element", "expected an integer 0 to %d", TL_MAX_ELEMENTS - 1);
            goto done;
        }
        s->element = (int)json_integer_value(v);
    }
    s->counts = false;
    v = json_object_get(root, "units");
    if (v) {
        const char *u = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(u, "pa") == 0) {
            s->counts = false;
        } else if (strcmp(u, "counts") == 0) {
            s->counts = true;
        } else {
            tl__diag(diag, rc, "units", "expected \"pa\" or \"counts\"");
            goto done;
        }
    }
    double scale = 1.0;
    v = json_object_get(root, "scale");
    if (v) {
        if (!json_is_number(v) || !(json_number_value(v) > 0.0) ||
            !isfinite(json_number_value(v))) {
            tl__diag(diag, rc, "scale", "expected a positive number");
            goto done;
        }
        scale = json_number_value(v);
    }
    s->mul = scale;
    rc = TL_OK;
done:
    json_decref(root);
    return rc;
}

/* --------------------------------------------------- libsndfile in memory -- */

static sf_count_t
vio_len(void *ud)
{
    return ((struct tl__src *)ud)->amem_len;
}

static sf_count_t
vio_seek(sf_count_t off, int whence, void *ud)
{
    struct tl__src *s = ud;
    sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? s->amem_pos + off
                                                                   : s->amem_len + off;
    if (p < 0 || p > s->amem_len) {
        return -1;
    }
    s->amem_pos = p;
    return p;
}

static sf_count_t
vio_read(void *ptr, sf_count_t count, void *ud)
{
    struct tl__src *s = ud;
    sf_count_t rest = s->amem_len - s->amem_pos;
    sf_count_t n = count < rest ? count : rest;
    if (n > 0) {
        memcpy(ptr, s->amem + s->amem_pos, (size_t)n);
        s->amem_pos += n;
    }
    return n > 0 ? n : 0;
}

static sf_count_t
vio_write(const void *ptr, sf_count_t count, void *ud)
{
    (void)ptr;
    (void)count;
    (void)ud;
    return 0;
}

static sf_count_t
vio_tell(void *ud)
{
    return ((struct tl__src *)ud)->amem_pos;
}

/* ------------------------------------------------------------- opening -- */

/* Integer PCM: the code of a full-scale sample. */
static double
full_scale(int format)
{
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8:
        return 128.0;
    case SF_FORMAT_PCM_16:
        return 32768.0;
    case SF_FORMAT_PCM_24:
        return 8388608.0;
    case SF_FORMAT_PCM_32:
        return 2147483648.0;
    default:
        return 1.0;
    }
}

static int
audio_ready(struct tl__src *s, const char *name, struct tl_diag *diag)
{
    tl__diag_where(diag, name, 0);
    if (s->info.channels < 1 || s->info.channels > TL_MAX_ELEMENTS ||
        s->element + s->info.channels > TL_MAX_ELEMENTS) {
        return tl__diag(diag, TL_EPARSE, NULL, "%d channels: at most %d elements", s->info.channels,
                        TL_MAX_ELEMENTS);
    }
    if (!(s->info.samplerate > 0)) {
        return tl__diag(diag, TL_EPARSE, NULL, "no sample rate");
    }
    s->mul *= full_scale(s->info.format);
    s->frames = tl_malloc((size_t)CHUNK * (size_t)s->info.channels * sizeof(float));
    s->x = tl_malloc(CHUNK * sizeof(float));
    if (!s->frames || !s->x) {
        return TL_ENOMEM;
    }
    s->xcap = CHUNK;
    s->kind = TL__SRC_AUDIO;
    tl__strlcpy(s->name, name, sizeof(s->name));
    return TL_OK;
}

static int
read_file(const char *path, char **text, size_t *len, struct tl_diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        tl__diag_where(diag, path, 0);
        return tl__diag(diag, TL_EIO, NULL, "%s", strerror(e));
    }
    char *buf = tl_malloc(MAX_SIDECAR + 1);
    if (!buf) {
        fclose(f);
        return TL_ENOMEM;
    }
    size_t n = fread(buf, 1, MAX_SIDECAR + 1, f);
    bool err = ferror(f) != 0;
    fclose(f);
    if (err || n > MAX_SIDECAR) {
        tl_free(buf);
        tl__diag_where(diag, path, 0);
        return tl__diag(diag, err ? TL_EIO : TL_ETOOBIG, NULL,
                        err ? "read error" : "larger than %d bytes", MAX_SIDECAR);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return TL_OK;
}

int
tl__src_audio_file(const char *path, struct tl__src **out, struct tl_diag *diag)
{
    char side[4096];
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    if (stem + 6 > sizeof(side)) {
        tl__diag_where(diag, path, 0);
        return tl__diag(diag, TL_EINVAL, NULL, "path too long");
    }
    memcpy(side, path, stem);
    memcpy(side + stem, ".json", 6);
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(side, &text, &len, diag);
    if (rc != TL_OK) {
        return rc;
    }
    struct tl__src *s = tl_calloc(1, sizeof(*s));
    if (!s) {
        tl_free(text);
        return TL_ENOMEM;
    }
    rc = sidecar_parse(s, text, len, side, diag);
    tl_free(text);
    if (rc == TL_OK) {
        s->sf = sf_open(path, SFM_READ, &s->info);
        if (!s->sf) {
            tl__diag_where(diag, path, 0);
            rc = tl__diag(diag, TL_EPARSE, NULL, "not a sound file libsndfile reads: %s",
                          sf_strerror(NULL));
        }
    }
    if (rc == TL_OK) {
        rc = audio_ready(s, path, diag);
    }
    if (rc != TL_OK) {
        tl__src_free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

int
tl__src_audio_mem(const void *audio, size_t audio_len, const char *sidecar, size_t sidecar_len,
                  const char *name, struct tl__src **out, struct tl_diag *diag)
{
    if (!name) {
        name = "<memory>";
    }
    struct tl__src *s = tl_calloc(1, sizeof(*s));
    if (!s) {
        return TL_ENOMEM;
    }
    int rc = sidecar_parse(s, sidecar ? sidecar : "", sidecar ? sidecar_len : 0, name, diag);
    if (rc == TL_OK) {
        static SF_VIRTUAL_IO vio = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
        s->amem = audio;
        s->amem_len = (sf_count_t)audio_len;
        s->sf = sf_open_virtual(&vio, SFM_READ, &s->info, s);
        if (!s->sf) {
            tl__diag_where(diag, name, 0);
            rc = tl__diag(diag, TL_EPARSE, NULL, "not a sound file libsndfile reads: %s",
                          sf_strerror(NULL));
        }
    }
    if (rc == TL_OK) {
        rc = audio_ready(s, name, diag);
    }
    if (rc != TL_OK) {
        tl__src_free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

int
tl__src_audio_next(struct tl__src *s, struct tl__block *b, struct tl_diag *diag)
{
    int nch = s->info.channels;
    if (s->next_channel >= nch || s->chunk_frames == 0) {
        s->chunk_start = s->frames_done;
        sf_count_t got = sf_readf_float(s->sf, s->frames, CHUNK);
        if (got < 0) {
            got = 0;
        }
        if (got == 0) {
            int e = sf_error(s->sf);
            if (e != SF_ERR_NO_ERROR) {
                tl__diag_where(diag, s->name, 0);
                return tl__diag(diag, TL_EIO, NULL, "%s", sf_error_number(e));
            }
            return 0;
        }
        s->chunk_frames = got;
        s->frames_done += got;
        s->next_channel = 0;
    }
    int k = s->next_channel++;
    for (sf_count_t i = 0; i < s->chunk_frames; i++) {
        double v = (double)s->frames[(size_t)i * (size_t)nch + (size_t)k] * s->mul;
        s->x[i] = isfinite(v) ? (float)v : 0.0f;
    }
    memset(b, 0, sizeof(*b));
    tl__strlcpy(b->station, s->station, sizeof(b->station));
    b->element = s->element + k;
    b->rate_hz = (double)s->info.samplerate;
    b->t0_ns = s->start_ns + (tl_time_ns)llround((double)s->chunk_start * 1e9 / b->rate_hz);
    b->scale = s->counts ? 0.0 : 1.0;
    b->x = s->x;
    b->n = (size_t)s->chunk_frames;
    return 1;
}

void
tl__src_audio_fini(struct tl__src *s)
{
    if (s->sf) {
        sf_close(s->sf);
        s->sf = NULL;
    }
    tl_free(s->frames);
    s->frames = NULL;
}

/* ------------------------------------------------------------ generic -- */

static bool
is_audio_name(const char *path)
{
    static const char *const ext[] = {".wav", ".flac", ".ogg", ".aiff", ".aif", ".au", ".caf"};
    const char *dot = strrchr(path, '.');
    if (!dot) {
        return false;
    }
    for (size_t i = 0; i < TL_ARRAY_LEN(ext); i++) {
        if (strlen(dot) == strlen(ext[i])) {
            bool same = true;
            for (size_t j = 0; dot[j]; j++) {
                same = same && tolower((unsigned char)dot[j]) == ext[i][j];
            }
            if (same) {
                return true;
            }
        }
    }
    return false;
}

int
tl__src_open(const char *path, struct tl__src **out, struct tl_diag *diag)
{
    if (!path || !out) {
        return TL_EINVAL;
    }
    return is_audio_name(path) ? tl__src_audio_file(path, out, diag)
                               : tl__src_mseed_file(path, out, diag);
}

int
tl__src_next(struct tl__src *s, struct tl__block *b, struct tl_diag *diag)
{
    return s->kind == TL__SRC_AUDIO ? tl__src_audio_next(s, b, diag)
                                    : tl__src_mseed_next(s, b, diag);
}

void
tl__src_free(struct tl__src *s)
{
    if (!s) {
        return;
    }
    tl__src_mseed_fini(s);
    tl__src_audio_fini(s);
    tl_free(s->x);
    tl_free(s->buf);
    tl_free(s);
}
