/*
 * truceline/tlog.h - the transparency log: RFC 6962/9162 Merkle tree, C2SP
 * signed notes, checkpoints, tiles, cosignatures, witnesses and policies.
 *
 * Every record truceline publishes (finding, review, bulletin, station key
 * change) is appended to a log whose tree head is signed as a checkpoint
 * (c2sp.org/tlog-checkpoint) and cosigned by one witness per contingent
 * (c2sp.org/tlog-cosignature, c2sp.org/tlog-witness).  The log is stored as
 * static C2SP tiles (c2sp.org/tlog-tiles) that a web server serves unchanged,
 * so that clients we did not write can verify it.
 *
 * The header has five parts:
 *   1. Merkle hashing and proof verification (pure functions, thread-safe);
 *   2. keys, signed notes, checkpoints (parsers that reject bad input with a
 *      precise message, never crash);
 *   3. trust policies (c2sp.org/tlog-policy) and offline proof files
 *      (c2sp.org/tlog-proof);
 *   4. the log itself, struct tl_tlog: durable appends, checkpoints, proofs;
 *   5. the witness, struct tl_witness: the add-checkpoint protocol with
 *      persisted state, independent of the HTTP transport.
 * docs/tlog.md explains the storage layout and the durability argument.
 */
#ifndef TRUCELINE_TLOG_H
#define TRUCELINE_TLOG_H

#include <truceline/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of a SHA-256 hash, the only hash of the log. */
#define TL_HASH_SIZE      32
/** Largest entry the log stores (uint16 length in entry bundles); larger records are logged by
 * hash. */
#define TL_TLOG_ENTRY_MAX 65535
/** Most hashes in an inclusion or consistency proof of a tree of 64-bit size. */
#define TL_TLOG_PROOF_MAX 64
/** Longest origin / key name accepted (bytes). */
#define TL_TLOG_NAME_MAX  255
/** Most signature lines accepted on one note (the Go client's limit is 100; the spec asks >= 16).
 */
#define TL_NOTE_SIGS_MAX  100
/** Largest note accepted (bytes). */
#define TL_NOTE_MAX       65536

/** Signature types of c2sp.org/signed-note that truceline signs and verifies. */
#define TL_SIG_ED25519 0x01 /* log signatures */
#define TL_SIG_COSIGN  0x04 /* timestamped Ed25519 witness cosignatures */

/* ======================================================================== */
/* 1. Merkle hashing and proofs (RFC 6962 section 2.1 = RFC 9162 2.1)        */
/* ======================================================================== */

/** Leaf hash SHA-256(0x00 || entry).  `entry` borrowed, may be NULL when len is 0.  Thread-safe. */
TL_API void tl_tlog_leaf_hash(const void *entry, size_t len, uint8_t out[TL_HASH_SIZE]);

/** Plain SHA-256 of `len` bytes (for records logged by their hash).  Thread-safe. */
TL_API void tl_sha256(const void *data, size_t len, uint8_t out[TL_HASH_SIZE]);

/** Interior node hash SHA-256(0x01 || left || right).  Thread-safe. */
TL_API void tl_tlog_node_hash(const uint8_t left[TL_HASH_SIZE],
                              const uint8_t right[TL_HASH_SIZE],
                              uint8_t out[TL_HASH_SIZE]);

/**
 * Root of the tree whose leaf hashes are `leaves[0..n)` (borrowed); n = 0 gives
 * SHA-256("").  Reference implementation, O(n) time, O(log n) memory.  Thread-safe.
 */
TL_API void tl_tlog_root_from_leaves(const uint8_t (*leaves)[TL_HASH_SIZE],
                                     uint64_t n,
                                     uint8_t out[TL_HASH_SIZE]);

/**
 * Verify an inclusion proof (RFC 9162 2.1.3.2).
 * @param leaf   the leaf hash of the entry.
 * @param index  its index, @param size the tree size, @param root the tree's root.
 * @param proof  `n` hashes, leaf sibling first (borrowed).
 * @param diag   optional: why the proof was rejected.
 * @return TL_OK; TL_ERANGE (index >= size, or more than 64 hashes); TL_ECRYPTO (wrong
 *         length or the computed root differs).  Thread-safe.
 */
TL_API int tl_tlog_verify_inclusion(const uint8_t leaf[TL_HASH_SIZE],
                                    uint64_t index,
                                    uint64_t size,
                                    const uint8_t (*proof)[TL_HASH_SIZE],
                                    size_t n,
                                    const uint8_t root[TL_HASH_SIZE],
                                    struct tl_diag *diag);

/**
 * Verify a consistency proof from size1/root1 to size2/root2 (RFC 9162 2.1.4.2).
 * size1 = 0 is rejected (a proof from the empty tree is meaningless: callers that
 * accept any tree when they know nothing, such as witnesses, handle it first);
 * size1 = size2 needs an empty proof and equal roots.
 * @return TL_OK; TL_ERANGE (size1 = 0, size1 > size2, too many hashes); TL_ECRYPTO.
 *         Thread-safe.
 */
TL_API int tl_tlog_verify_consistency(uint64_t size1,
                                      uint64_t size2,
                                      const uint8_t root1[TL_HASH_SIZE],
                                      const uint8_t root2[TL_HASH_SIZE],
                                      const uint8_t (*proof)[TL_HASH_SIZE],
                                      size_t n,
                                      struct tl_diag *diag);

/**
 * Decode one standard base64 hash (44 characters with padding, `len` bytes borrowed).
 * @return TL_OK, or TL_EPARSE with a message in `diag`; `out` untouched on failure.
 */
TL_API int
tl_tlog_hash_parse(const char *text, size_t len, uint8_t out[TL_HASH_SIZE], struct tl_diag *diag);

/** Encode a hash as standard base64 with padding into `out` (45 bytes incl. NUL). */
TL_API void tl_tlog_hash_format(const uint8_t hash[TL_HASH_SIZE], char out[45]);

/* ======================================================================== */
/* 2. Keys, signed notes (c2sp.org/signed-note) and checkpoints              */
/* ======================================================================== */

/**
 * A private signing key: key name, key ID and Ed25519 secret.  Type TL_SIG_ED25519
 * signs notes (the log), TL_SIG_COSIGN makes timestamped cosignatures (a witness).
 * Secrets are wiped on free.  Immutable after creation: usable from many threads.
 */
struct tl_signer;

/**
 * Make a new random key.  `name` (borrowed): non-empty, <= 255 bytes, no spaces,
 * no '+', printable.  `type`: TL_SIG_ED25519 or TL_SIG_COSIGN.
 * @return TL_OK, TL_EINVAL (bad name or type), TL_ENOMEM.
 */
TL_API int tl_signer_generate(const char *name, int type, struct tl_signer **out);

/**
 * Make a key from a 32-byte seed (deterministic; for tests and key import).
 * @return as tl_signer_generate.
 */
TL_API int
tl_signer_from_seed(const char *name, int type, const uint8_t seed[32], struct tl_signer **out);

/**
 * Parse the private key text `PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>`
 * (the Go note package form; trailing newline allowed).
 * @return TL_OK, TL_EPARSE (message in diag), TL_ECRYPTO (the ID does not match), TL_ENOMEM.
 */
TL_API int
tl_signer_parse(const char *text, size_t len, struct tl_signer **out, struct tl_diag *diag);

/**
 * The private key text (no newline), caller-owned: release with tl_free after
 * wiping it (it holds the secret).  @return TL_OK or TL_ENOMEM.
 */
TL_API int tl_signer_format(const struct tl_signer *s, char **out);

/** The verifier key `<name>+<hex id>+<base64(type || public key)>`, caller-owned (tl_free). */
TL_API int tl_signer_vkey(const struct tl_signer *s, char **out);

/** Key name (owned by the signer). */
TL_API const char *tl_signer_name(const struct tl_signer *s);

/** Wipe and free; NULL is a no-op. */
TL_API void tl_signer_free(struct tl_signer *s);

/**
 * Sign a note text (which must end in '\n') and return one signature line
 * `— <name> <base64(id || sig)>\n`, caller-owned (tl_free).  A TL_SIG_COSIGN key
 * signs `cosignature/v1\ntime <time_s>\n<text>` and puts the timestamp in the
 * signature; `time_s` is ignored for TL_SIG_ED25519.
 * @return TL_OK, TL_EINVAL (text empty or not ending in newline), TL_ENOMEM.  Thread-safe.
 */
TL_API int tl_note_sign(const struct tl_signer *s,
                        const char *text,
                        size_t len,
                        uint64_t time_s,
                        char **line_out);

/** A public verifier key.  Immutable: usable from many threads. */
struct tl_verifier;

/**
 * Parse a vkey `<name>+<hex id>+<base64(type || key)>` (split on the first two
 * '+', the base64 part may hold '+').  Types 0x01 and 0x04 with 32-byte keys are
 * accepted; small-order and non-canonical Ed25519 points are rejected (they would
 * make signatures that verify for any message under some verifiers).
 * @return TL_OK, TL_EPARSE (format), TL_ECRYPTO (ID mismatch, weak key), TL_ENOMEM.
 */
TL_API int
tl_verifier_parse(const char *vkey, size_t len, struct tl_verifier **out, struct tl_diag *diag);

/** Key name, key ID and signature type of a verifier. */
TL_API const char *tl_verifier_name(const struct tl_verifier *v);
TL_API uint32_t tl_verifier_key_id(const struct tl_verifier *v);
TL_API int tl_verifier_type(const struct tl_verifier *v);

/** The vkey text of a verifier, caller-owned (tl_free). */
TL_API int tl_verifier_format(const struct tl_verifier *v, char **out);

/** Free; NULL is a no-op. */
TL_API void tl_verifier_free(struct tl_verifier *v);

/**
 * An opened signed note: its text and its signature lines, each marked with
 * the verifier that checked it (or none).  Immutable once opened.
 */
struct tl_note;

/**
 * Parse a signed note and verify it against `vs[0..nv)` (borrowed).  Signatures
 * whose (name, ID) match no verifier are kept but ignored.
 * @return TL_OK when at least one known signature verifies and none fails;
 *         TL_EPARSE (malformed: control characters, bad UTF-8, no signature block,
 *         bad signature line, more than TL_NOTE_SIGS_MAX signatures),
 *         TL_ETOOBIG (over TL_NOTE_MAX bytes), TL_ECRYPTO (a known signature fails, or
 *         no known signature), TL_ENOMEM.  `diag` says which.  `*out` (free with
 *         tl_note_free) is set only on TL_OK.  Thread-safe.
 */
TL_API int tl_note_open(const char *note,
                        size_t len,
                        const struct tl_verifier *const *vs,
                        size_t nv,
                        struct tl_note **out,
                        struct tl_diag *diag);

/** The note text (ends in '\n', excludes the blank line); owned by the note. */
TL_API const char *tl_note_text(const struct tl_note *n, size_t *len);
/** Number of signature lines. */
TL_API size_t tl_note_sig_count(const struct tl_note *n);
/** Signature line i, with its final newline (owned by the note). */
TL_API const char *tl_note_sig_line(const struct tl_note *n, size_t i, size_t *len);
/** Index into `vs` of the verifier that verified signature i, or -1 when unknown. */
TL_API int tl_note_sig_verifier(const struct tl_note *n, size_t i);
/** Timestamp of a verified cosignature (type 0x04), else 0. */
TL_API uint64_t tl_note_sig_time(const struct tl_note *n, size_t i);
/** Free; NULL is a no-op. */
TL_API void tl_note_free(struct tl_note *n);

/** A checkpoint body (c2sp.org/tlog-checkpoint): origin, tree size, root hash. */
struct tl_checkpoint {
    char origin[TL_TLOG_NAME_MAX + 1];
    uint64_t size;
    uint8_t root[TL_HASH_SIZE];
    size_t n_extensions; /* opaque extension lines present (kept in the note text) */
};

/**
 * Parse a checkpoint note *text* (without signatures).
 * @return TL_OK or TL_EPARSE with the line and reason in diag; `out` untouched on failure.
 */
TL_API int
tl_checkpoint_parse(const char *text, size_t len, struct tl_checkpoint *out, struct tl_diag *diag);

/** Format the text `origin\nsize\nbase64(root)\n` into a caller-owned string (tl_free). */
TL_API int tl_checkpoint_format(const struct tl_checkpoint *cp, char **out);

/**
 * Open a signed checkpoint with the log's verifier key only (witnesses ignored):
 * the note must verify with `log_key` and its origin must equal the key name.
 * @return TL_OK, or the codes of tl_note_open / tl_checkpoint_parse.  Thread-safe.
 */
TL_API int tl_checkpoint_open(const char *note,
                              size_t len,
                              const struct tl_verifier *log_key,
                              struct tl_checkpoint *out,
                              struct tl_diag *diag);

/* ======================================================================== */
/* 3. Trust policies (c2sp.org/tlog-policy) and proof files (tlog-proof)     */
/* ======================================================================== */

/** A parsed trust policy: logs, witnesses (name, key, optional URL), groups, quorum. */
struct tl_policy;

/**
 * Parse a policy file.  Limits: 32 logs, 64 witnesses, 64 groups.
 * @return TL_OK, TL_EPARSE (line number and reason in diag), TL_ECRYPTO (weak key),
 *         TL_ENOMEM.
 */
TL_API int
tl_policy_parse(const char *text, size_t len, struct tl_policy **out, struct tl_diag *diag);

/** Free; NULL is a no-op. */
TL_API void tl_policy_free(struct tl_policy *p);

/** Logs listed by the policy (borrowed verifiers). */
TL_API size_t tl_policy_log_count(const struct tl_policy *p);
TL_API const struct tl_verifier *tl_policy_log(const struct tl_policy *p, size_t i);

/** Witnesses listed by the policy: name, verifier, URL ("" when none). */
TL_API size_t tl_policy_witness_count(const struct tl_policy *p);
TL_API const char *tl_policy_witness_name(const struct tl_policy *p, size_t i);
TL_API const struct tl_verifier *tl_policy_witness_key(const struct tl_policy *p, size_t i);
TL_API const char *tl_policy_witness_url(const struct tl_policy *p, size_t i);

/**
 * Does the set of witnesses `cosigned[0..witness_count)` satisfy the quorum?
 * @return true or false.  Thread-safe.
 */
TL_API bool tl_policy_quorum_met(const struct tl_policy *p, const bool *cosigned);

/**
 * Verify a cosigned checkpoint against a policy: signed by one of its logs
 * (origin = key name), and cosigned by a quorum of its witnesses.
 * @return TL_OK; TL_ECRYPTO (no log signature, bad signature, quorum not met: the
 *         message says how many witnesses cosigned); codes of tl_note_open.
 */
TL_API int tl_policy_verify_checkpoint(const struct tl_policy *p,
                                       const char *note,
                                       size_t len,
                                       struct tl_checkpoint *out,
                                       struct tl_diag *diag);

/** An offline proof of inclusion (c2sp.org/tlog-proof@v1). */
struct tl_proof_file {
    uint64_t index;
    size_t n_proof;
    uint8_t proof[TL_TLOG_PROOF_MAX][TL_HASH_SIZE];
    const char *checkpoint; /* the signed checkpoint note, inside the parsed buffer */
    size_t checkpoint_len;
    bool has_extra; /* an `extra` line was present (ignored: unauthenticated) */
};

/**
 * Parse a tlog-proof file.  `out->checkpoint` points into `text` (borrowed: keep
 * the text alive).  @return TL_OK or TL_EPARSE with line and reason in diag.
 */
TL_API int
tl_proof_file_parse(const char *text, size_t len, struct tl_proof_file *out, struct tl_diag *diag);

/**
 * Verify a tlog-proof for `entry` (the logged bytes, borrowed): the checkpoint
 * verifies with `log_key` (or, when `policy` is given, with the policy and its
 * quorum), and the inclusion proof binds the entry's leaf hash to its root.
 * @return TL_OK, TL_EPARSE, TL_ECRYPTO, TL_ERANGE; reason in diag.
 */
TL_API int tl_proof_file_verify(const char *text,
                                size_t len,
                                const void *entry,
                                size_t entry_len,
                                const struct tl_verifier *log_key,
                                const struct tl_policy *policy,
                                struct tl_checkpoint *cp_out,
                                struct tl_diag *diag);

/* ======================================================================== */
/* 4. The log                                                                */
/* ======================================================================== */

/**
 * A log stored in a directory as C2SP tiles:
 *
 *     DIR/checkpoint               the published checkpoint (quorum met), served as /log/checkpoint
 *     DIR/tile/<L>/<N>[.p/<W>]     hash tiles                              /log/tile/...
 *     DIR/tile/entries/<N>[.p/<W>] entry bundles                           /log/tile/entries/...
 *     DIR/log.key (0600), DIR/log.vkey, DIR/policy (optional), DIR/.state/ (private)
 *
 * Thread-safety: one handle per process (an advisory lock stops a second
 * process); within the process every function below may be called from any
 * number of threads at once.  Concurrent appends are grouped into one durable
 * commit (group commit), which is how the log reaches high rates with fsync.
 */
struct tl_tlog;

/**
 * Create a new, empty log in `dir` (created if missing; must hold no log yet)
 * with a fresh Ed25519 key named `origin`.
 * @param policy_text  optional (may be NULL): a tlog-policy file naming the
 *                     witnesses (with URLs) and the quorum, saved as DIR/policy; the
 *                     log signs with its own key whatever `log` lines it holds.
 * @param out          receives the open log.
 * @return TL_OK, TL_EINVAL (bad origin), TL_EEXIST, TL_EPARSE (policy), TL_EIO, TL_ENOMEM.
 */
TL_API int tl_tlog_create(const char *dir,
                          const char *origin,
                          const char *policy_text,
                          struct tl_tlog **out,
                          struct tl_diag *diag);

/**
 * Open an existing log, recovering from a crash: the durable state is the last
 * committed tree; tiles written beyond it by an interrupted commit are removed,
 * and the stored tiles are checked against the committed root.
 * @return TL_OK, TL_ENOTFOUND (no log), TL_ESTATE (locked by another process),
 *         TL_ESTORE (state and tiles disagree), TL_EIO, TL_ENOMEM; diag says why.
 */
TL_API int tl_tlog_open(const char *dir, struct tl_tlog **out, struct tl_diag *diag);

/** Close and free (waits for nothing: call only when no other thread uses it).  NULL ok. */
TL_API void tl_tlog_free(struct tl_tlog *log);

/** The log's origin and its verifier key (owned by the log). */
TL_API const char *tl_tlog_origin(const struct tl_tlog *log);
TL_API const char *tl_tlog_vkey(const struct tl_tlog *log);

/**
 * Append one entry (`len` <= TL_TLOG_ENTRY_MAX bytes, borrowed) and return only
 * once it is durable (on disk, fsync'd, in the committed tree): an acknowledged
 * entry survives any crash.  `*index_out` receives its index.
 * @return TL_OK, TL_ETOOBIG, TL_EIO or TL_ENOMEM (the commit failed: the handle
 *         then refuses further appends and checkpoints until the log is reopened,
 *         which recovers every acknowledged entry).
 */
TL_API int tl_tlog_append(struct tl_tlog *log, const void *entry, size_t len, uint64_t *index_out);

/**
 * Append `n` entries in order, durable on return; they get consecutive indices
 * from `*first_index_out`.  All or nothing; at most 1 GiB per call.
 * @return as tl_tlog_append.
 */
TL_API int tl_tlog_append_batch(struct tl_tlog *log,
                                const void *const *entries,
                                const size_t *lens,
                                size_t n,
                                uint64_t *first_index_out);

/** Committed tree size and root (either pointer may be NULL).  @return TL_OK. */
TL_API int tl_tlog_tree(struct tl_tlog *log, uint64_t *size, uint8_t root[TL_HASH_SIZE]);

/**
 * Sign a checkpoint for the committed tree and publish it.  The signed
 * checkpoint is first checked to be consistent with the last one this log ever
 * signed (the log never signs two inconsistent checkpoints) and persisted.
 * With a policy, every witness with a URL is asked to cosign (tlog-witness
 * add-checkpoint); the checkpoint is published to DIR/checkpoint only when the
 * quorum is met.
 * @param note_out  optional: the published note, caller-owned (tl_free).
 * @return TL_OK, TL_ESTATE (quorum not met: nothing published), TL_ESTORE
 *         (inconsistent with the last signed checkpoint), TL_EIO, TL_ENOMEM.
 */
TL_API int tl_tlog_checkpoint(struct tl_tlog *log, char **note_out, struct tl_diag *diag);

/**
 * The published checkpoint note (DIR/checkpoint), caller-owned (tl_free).
 * @return TL_OK, TL_ENOTFOUND (none published yet), TL_EIO, TL_ENOMEM.
 */
TL_API int tl_tlog_published(struct tl_tlog *log, char **note_out);

/**
 * Root of the tree at an earlier `size` (<= committed size).
 * @return TL_OK, TL_ERANGE, TL_EIO/TL_ESTORE (a tile is missing or short).
 */
TL_API int tl_tlog_root_at(struct tl_tlog *log, uint64_t size, uint8_t root[TL_HASH_SIZE]);

/**
 * Inclusion proof of entry `index` in the tree of `size` entries (index < size <=
 * committed size) into `proof` (room for TL_TLOG_PROOF_MAX hashes); `*n_out` = count.
 * Reads at most a few tiles; safe concurrently with appends.
 * @return TL_OK, TL_ERANGE, TL_EIO, TL_ESTORE.
 */
TL_API int tl_tlog_inclusion_proof(struct tl_tlog *log,
                                   uint64_t index,
                                   uint64_t size,
                                   uint8_t (*proof)[TL_HASH_SIZE],
                                   size_t *n_out);

/**
 * Consistency proof from `size1` to `size2` (0 < size1 <= size2 <= committed size).
 * @return TL_OK, TL_ERANGE, TL_EIO, TL_ESTORE.
 */
TL_API int tl_tlog_consistency_proof(struct tl_tlog *log,
                                     uint64_t size1,
                                     uint64_t size2,
                                     uint8_t (*proof)[TL_HASH_SIZE],
                                     size_t *n_out);

/**
 * Read entry `index` (< committed size) into a caller-owned buffer (tl_free).
 * @return TL_OK, TL_ERANGE, TL_EIO, TL_ESTORE, TL_ENOMEM.
 */
TL_API int tl_tlog_entry(struct tl_tlog *log, uint64_t index, uint8_t **data_out, size_t *len_out);

/**
 * A tlog-proof file (c2sp.org/tlog-proof@v1) for entry `index` against the
 * published checkpoint, caller-owned (tl_free).  This is what the server
 * returns for /v1/findings/{id}/proof.
 * @return TL_OK, TL_ENOTFOUND (nothing published), TL_ERANGE (index not covered
 *         by the published checkpoint), TL_EIO, TL_ENOMEM.
 */
TL_API int tl_tlog_proof_file(struct tl_tlog *log, uint64_t index, char **out);

/** The last error message of the handle (any thread; for tools and logs). */
TL_API const char *tl_tlog_errmsg(struct tl_tlog *log);

/* ---- Reading a log directory offline (no key, no lock): the verifier's view ---- */

/**
 * Path of a tile relative to the log root: level 0..63 (or -1 for an entry
 * bundle), tile index `n`, width 1..256 (256 = full).  Writes e.g.
 * "tile/0/x001/234.p/7" into `buf`.  @return TL_OK, TL_EINVAL, TL_ERANGE (buffer).
 */
TL_API int tl_tile_path(int level, uint64_t n, unsigned width, char *buf, size_t size);

/**
 * Parse a tile path (as served under the log prefix, e.g. "tile/entries/x001/002.p/9").
 * @return TL_OK or TL_EPARSE with the reason; outputs untouched on failure.
 */
TL_API int tl_tile_path_parse(const char *path,
                              int *level,
                              uint64_t *n,
                              unsigned *width,
                              struct tl_diag *diag);

/**
 * Split an entry bundle of `len` bytes into entries: calls `fn(ud, i, data, n)`
 * for each; stops and returns its non-zero result.
 * @return TL_OK, TL_EPARSE (truncated length or entry, more than 256 entries), or fn's code.
 */
TL_API int tl_bundle_parse(const uint8_t *data,
                           size_t len,
                           int (*fn)(void *ud, size_t i, const uint8_t *entry, size_t n),
                           void *ud,
                           struct tl_diag *diag);

/**
 * Audit a log directory against a checkpoint, trusting nothing but `log_key`:
 * re-hash every entry bundle into level-0 hashes, rebuild every tile level,
 * check every tile file present for that size and the root of the checkpoint.
 * @param note   the signed checkpoint to audit against (borrowed).
 * @return TL_OK, TL_ECRYPTO (a hash differs: diag names the file), TL_ENOTFOUND,
 *         TL_EPARSE, TL_EIO, TL_ENOMEM.
 */
TL_API int tl_tlog_audit_dir(const char *dir,
                             const char *note,
                             size_t len,
                             const struct tl_verifier *log_key,
                             struct tl_checkpoint *cp_out,
                             struct tl_diag *diag);

/* ======================================================================== */
/* 5. The witness (c2sp.org/tlog-witness add-checkpoint)                     */
/* ======================================================================== */

/**
 * A witness: one cosigning key (type 0x04), the logs it trusts, and for each
 * log origin the latest checkpoint it cosigned, persisted in its directory:
 *
 *     DIR/witness.key (0600), DIR/witness.vkey, DIR/logs (one vkey per line),
 *     DIR/state/<hex sha256(origin)> (the latest cosigned checkpoint)
 *
 * Thread-safe: add-checkpoint checks and updates the state atomically (one
 * mutex, one process lock), as tlog-witness requires.
 */
struct tl_witness;

/**
 * Create a witness in `dir` with a new key named `name`, trusting the log vkeys
 * `log_vkeys[0..n)` (borrowed).  @return TL_OK, TL_EEXIST, TL_EINVAL, TL_EPARSE,
 * TL_ECRYPTO (weak or wrong-type log key), TL_EIO, TL_ENOMEM.
 */
TL_API int tl_witness_create(const char *dir,
                             const char *name,
                             const char *const *log_vkeys,
                             size_t n,
                             struct tl_witness **out,
                             struct tl_diag *diag);

/** Open a witness directory.  @return TL_OK, TL_ENOTFOUND, TL_ESTATE (locked), TL_EPARSE, TL_EIO.
 */
TL_API int tl_witness_open(const char *dir, struct tl_witness **out, struct tl_diag *diag);

/** Free; NULL is a no-op. */
TL_API void tl_witness_free(struct tl_witness *w);

/** The witness's verifier key (type 0x04), owned by the witness. */
TL_API const char *tl_witness_vkey(const struct tl_witness *w);

/**
 * Handle one add-checkpoint request body.  Always sets `*status` to the HTTP
 * status the protocol requires (200, 400, 403, 404, 409, 422) and `*body_out` to
 * the response body (caller-owned, tl_free): cosignature lines on 200, the
 * latest size and newline on 409 (content type `text/x.tlog.size`), else a
 * one-line reason.  `now_s` is the cosignature timestamp (POSIX seconds).
 * @return TL_OK when a response was produced (whatever the status), TL_EIO when
 *         the state could not be persisted (answer 500), TL_ENOMEM.
 */
TL_API int tl_witness_add_checkpoint(struct tl_witness *w,
                                     const char *body,
                                     size_t len,
                                     uint64_t now_s,
                                     int *status,
                                     char **body_out);

/**
 * The latest checkpoint cosigned for the log whose origin hashes to
 * `origin_hash_hex` (64 lowercase hex), with the log's and the witness's
 * signatures: the monitoring endpoint `GET <prefix>/<hash>/checkpoint`.
 * @return TL_OK, TL_ENOTFOUND, TL_EIO, TL_ENOMEM.
 */
TL_API int tl_witness_latest(struct tl_witness *w, const char *origin_hash_hex, char **note_out);

#ifdef __cplusplus
}
#endif
#endif
