/*
 * src_priv.h - the waveform sources behind struct tl__src: a miniSEED reader
 * (mseed.c) and an audio reader with a JSON sidecar (wav.c), one tagged
 * struct so that files.c can merge any mix of them in time.
 */
#ifndef TL_SRC_PRIV_H
#define TL_SRC_PRIV_H

#include "detect_priv.h"

#include <sndfile.h>
#include <stdio.h>

enum { TL__SRC_MSEED = 1, TL__SRC_AUDIO = 2 };

struct MSRecord_s;

struct tl__src {
    int kind;
    char name[256];
    float *x;              /* the samples of the block handed out */
    size_t xcap;

    /* miniSEED: a read buffer over a file or memory. */
    FILE *f;
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    unsigned char *buf;
    size_t cap, len, off;  /* buffer capacity, bytes in it, next unread byte */
    size_t base;           /* input offset of buf[0] */
    bool eof, in_junk;
    size_t junk;           /* bytes skipped since the last good record */
    unsigned long records;
    struct MSRecord_s *msr;

    /* Audio: libsndfile, and what the sidecar says. */
    SNDFILE *sf;
    SF_INFO info;
    const unsigned char *amem;
    sf_count_t amem_len, amem_pos;
    char station[TL_STATION_ID_MAX];
    int element;
    tl_time_ns start_ns;
    double mul;            /* raw value -> sidecar units */
    bool counts;           /* units are counts (divide by the gain) */
    float *frames;         /* interleaved frames of the current chunk */
    sf_count_t chunk_frames, frames_done, chunk_start;
    int next_channel;
};

int tl__src_mseed_file(const char *path, struct tl__src **out, struct tl_diag *diag);
int tl__src_mseed_next(struct tl__src *s, struct tl__block *b, struct tl_diag *diag);
void tl__src_mseed_fini(struct tl__src *s);

int tl__src_audio_file(const char *path, struct tl__src **out, struct tl_diag *diag);
int tl__src_audio_next(struct tl__src *s, struct tl__block *b, struct tl_diag *diag);
void tl__src_audio_fini(struct tl__src *s);

#endif
