/*
 * truceline/detect.h - station processing: waveforms to picks.
 *
 * A detector turns the pressure waveforms of a mission's stations into pick
 * records (formats.md section 2) that `truceline process` consumes unchanged.
 * It streams: samples are fed in blocks, channel by channel, and every
 * channel keeps only its filter and trigger state and a ring of the last
 * seconds of filtered samples, so memory does not grow with the length of the
 * input.  For each channel (one station, one array element):
 *
 *   - causal Butterworth band-pass filters (biquad cascades designed with the
 *     bilinear transform), by default 2-40 Hz and 40-200 Hz;
 *   - a recursive STA/LTA trigger per band with hysteresis; the LTA is frozen
 *     while triggered, and a new rise of the STA inside a coda re-arms it, so
 *     that shots 0.5 s apart are each picked (no dead time);
 *   - onset refinement with Maeda's AIC, a pick sigma from the SNR and the
 *     dominant frequency, peak overpressure, dominant frequency, duration and
 *     the ballistic shock (N-wave) cue.
 *
 * The picks of the elements of an array station are grouped, the back azimuth
 * is measured with GCC-PHAT over every pair of elements and a plane-wave fit
 * of the delays (element offsets from the mission file), and one station pick
 * is emitted, timed at the array's reference point (offset 0, 0, 0).
 *
 * Gaps, overlaps, changes of sample rate and clock jumps are handled (a short
 * gap is bridged, a long one restarts the channel, overlapping samples are
 * dropped) and counted in struct tl_detect_stats; none is an error.
 *
 * docs/detect.md describes the algorithms and their sources.
 */
#ifndef TRUCELINE_DETECT_H
#define TRUCELINE_DETECT_H

#include <truceline/record.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most frequency bands one detector runs. */
#define TL_DETECT_MAX_BANDS 4

/** A pass band, in hertz. */
struct tl_detect_band {
    double lo_hz, hi_hz;
};

/** Parameters of a detector.  Plain value; start from tl_detect_config_default. */
struct tl_detect_config {
    size_t n_bands;                                  /* 1..TL_DETECT_MAX_BANDS */
    struct tl_detect_band band[TL_DETECT_MAX_BANDS]; /* 2-40 Hz and 40-200 Hz by default */
    int order;            /* Butterworth order of each high- and low-pass half (1..8; 4) */
    double gain;          /* counts per pascal: samples are divided by it (1: samples are Pa) */
    double sta_s, lta_s;  /* STA and LTA time constants (0.05 s, 10 s) */
    double on_ratio;      /* STA/LTA that triggers (4) */
    double off_ratio;     /* STA/LTA below which the trigger ends (1.5) */
    double rearm_ratio;   /* STA rise over its minimum since the last peak that re-arms
                             a running trigger (3) */
    double min_snr_db;    /* picks with a lower SNR are dropped (16 dB: the peak over
                             the RMS just before the onset) */
    int min_elements;     /* array elements that must pick an arrival (2; at most the
                             elements with data) */
    bool bearings;        /* measure back azimuths at array stations (true) */
    bool fit_bands;       /* fit the bands to each channel's sample rate (true): upper
                             corners above 0.4 times the rate come down to it, and a
                             band left narrower than an octave is not run; false: a
                             channel whose rate the bands do not fit is skipped */
};

/** Fill `cfg` with the defaults listed in struct tl_detect_config. */
TL_API void tl_detect_config_default(struct tl_detect_config *cfg);

/**
 * Check a configuration against a sample rate.
 * @return TL_OK, or TL_EINVAL with the reason in `why` (optional, `size` bytes):
 *         no band, a band with lo >= hi, at a rate: a band with hi at or above
 *         Nyquist (without fit_bands) or no band left (with it), an order out of
 *         range, a non-positive gain, STA >= LTA, thresholds out of order.
 */
TL_API int tl_detect_config_check(const struct tl_detect_config *cfg,
                                  double rate_hz,
                                  char *why,
                                  size_t size);

/** What a detector has seen.  Plain value. */
struct tl_detect_stats {
    uint64_t records;        /* blocks or miniSEED records fed */
    uint64_t samples;        /* samples processed */
    uint64_t channels;       /* distinct channels (station, element) seen */
    uint64_t gaps;           /* discontinuities forward in time (gaps and forward clock jumps) */
    uint64_t gaps_bridged;   /* of which short enough to be bridged */
    double gap_s;            /* total time missing */
    uint64_t overlaps;       /* blocks that started before the end of the last one */
    uint64_t overlap_samples;/* samples dropped because they were already processed */
    uint64_t clock_jumps;    /* jumps backward in time of more than one second */
    uint64_t rate_changes;   /* a channel's sample rate changed */
    uint64_t restarts;       /* channel restarts (long gaps, rate changes, clock jumps) */
    uint64_t skipped;        /* blocks of unknown stations or elements, or unusable rates */
    uint64_t bad_records;    /* miniSEED records or files that could not be read */
    uint64_t triggers;       /* band triggers */
    uint64_t element_picks;  /* picks made on single channels */
    uint64_t picks;          /* station picks emitted */
    uint64_t shock_picks;    /* of which shock cues */
    uint64_t bearings;       /* of which with a back azimuth */
    uint64_t dropped_low_snr;/* candidates below min_snr_db */
    uint64_t dropped_single; /* array arrivals seen by too few elements */
};

/**
 * Called once for every station pick, in time order per station.  The pick
 * is borrowed for the call.  Return TL_OK to go on; any other value stops the
 * detector, which returns it from the feeding call.
 */
typedef int (*tl_detect_pick_fn)(void *ud, const struct tl_pick *pick);

struct tl_detector;

/**
 * Create a detector.
 * @param mission  the stations and their array geometry; borrowed, must outlive
 *                 the detector.
 * @param cfg      parameters (copied); NULL for the defaults.
 * @param fn, ud   the pick callback and its argument (fn may be NULL: picks are
 *                 then only counted).
 * @param out      receives the detector (tl_detector_free).
 * @return TL_OK, TL_EINVAL (a bad configuration; see tl_detect_config_check),
 *         TL_ENOMEM.
 * A detector is used by one thread at a time.
 */
TL_API int tl_detector_new(const struct tl_mission *mission,
                           const struct tl_detect_config *cfg,
                           tl_detect_pick_fn fn,
                           void *ud,
                           struct tl_detector **out);

/** Free a detector (without flushing); NULL is a no-op. */
TL_API void tl_detector_free(struct tl_detector *d);

/**
 * Feed consecutive samples of one channel.
 * @param station  station id (borrowed); an unknown station is skipped and counted.
 * @param element  array element (0 for a single sensor; the location code "00", "01", ...).
 * @param t0_ns    time of the first sample; outside 1970-01-01 to 2200-01-01 the samples are
 *                 skipped and counted.
 * @param rate_hz  sample rate; a rate at which a band reaches Nyquist is skipped.
 * @param samples  `n` samples (borrowed), in counts (divided by the gain) or pascal.
 * @return TL_OK, TL_ENOMEM, or what the pick callback returned.
 */
TL_API int tl_detector_feed(struct tl_detector *d,
                            const char *station,
                            int element,
                            tl_time_ns t0_ns,
                            double rate_hz,
                            const float *samples,
                            size_t n);

/** Finish every pending pick (end of input).  Returns like tl_detector_feed. */
TL_API int tl_detector_flush(struct tl_detector *d);

/** The detector's counters; owned by it. */
TL_API const struct tl_detect_stats *tl_detector_stats(const struct tl_detector *d);

/**
 * Read a miniSEED 2 file record by record and feed it (any encoding libmseed
 * decodes; station code = station id, location code = element).  Records
 * that cannot be decoded are skipped and reported through the log and
 * `diag` (the first problem); reading goes on with the next record.
 * @return TL_OK; TL_EIO when the file cannot be read; TL_EPARSE when a record
 *         was bad (the rest was still processed); or an error of tl_detector_feed.
 */
TL_API int tl_detect_mseed_file(struct tl_detector *d, const char *path, struct tl_diag *diag);

/** The same from `len` bytes in memory; `name` names them in messages. */
TL_API int tl_detect_mseed_buffer(struct tl_detector *d,
                                  const void *buf,
                                  size_t len,
                                  const char *name,
                                  struct tl_diag *diag);

/**
 * Read a WAV (or any format libsndfile reads) with its JSON sidecar
 * (formats.md section 6: the path with its extension replaced by ".json").
 * Channel k of a multi-channel file is element `element + k`.
 * @return TL_OK; TL_EIO (unreadable file or sidecar); TL_EPARSE (not audio, or
 *         a bad sidecar, with the field in `diag`); or an error of tl_detector_feed.
 */
TL_API int tl_detect_wav_file(struct tl_detector *d, const char *path, struct tl_diag *diag);

/** The same from memory: the audio file's bytes and the sidecar's text. */
TL_API int tl_detect_wav_buffer(struct tl_detector *d,
                                const void *audio,
                                size_t audio_len,
                                const char *sidecar,
                                size_t sidecar_len,
                                const char *name,
                                struct tl_diag *diag);

/**
 * Run a detector over many files at once, merging them in time: the next
 * block is always the earliest among the open files, so that the elements of
 * an array stored in separate files (one per channel and day, as in an SDS
 * archive) are processed together.  Files are opened when the merge reaches
 * their first sample and closed at their end.  Names ending in .wav, .flac,
 * .ogg or .aiff (any case) are read as audio with a sidecar; the rest as miniSEED.
 * A file that fails is reported (log, and `diag` for the first failure) and
 * the others go on.
 * @return TL_OK; the first input error (TL_EIO, TL_EPARSE) after processing
 *         everything else; or TL_ENOMEM / a callback's error, which stop at once.
 */
TL_API int tl_detect_files(struct tl_detector *d,
                           const char *const *paths,
                           size_t n,
                           struct tl_diag *diag);

/**
 * Format a pick as one JSON line (formats.md section 2, with a trailing
 * newline) into `buf` of `size` bytes.
 * @return the length written, or TL_ETOOBIG when `size` is too small (512 always suffices).
 */
TL_API int tl_pick_format(const struct tl_pick *pick, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
