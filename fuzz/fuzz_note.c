/*
 * fuzz_note.c - the signed-note parser and verifier, the vkey and private-key
 * parsers, the tlog-proof parser and the policy parser on arbitrary bytes.
 * The note is opened against a log key and a cosignature key, so that both
 * signature types reach their verification code with hostile input.
 */
#include <stdlib.h>
#include <string.h>

#include <truceline/tlog.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char LOG_VKEY[] =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tl_verifier *vs[2];
    if (!vs[0]) {
        struct tl_signer *s = NULL;
        char *vk = NULL;
        uint8_t seed[32] = {1};
        if (tl_verifier_parse(LOG_VKEY, strlen(LOG_VKEY), &vs[0], NULL) != TL_OK ||
            tl_signer_from_seed("w.example", TL_SIG_COSIGN, seed, &s) != TL_OK ||
            tl_signer_vkey(s, &vk) != TL_OK ||
            tl_verifier_parse(vk, strlen(vk), &vs[1], NULL) != TL_OK) {
            abort();
        }
        tl_free(vk);
        tl_signer_free(s);
    }
    const char *text = (const char *)data;
    struct tl_diag d;
    struct tl_note *n = NULL;
    if (tl_note_open(text, size, (const struct tl_verifier *const *)vs, 2, &n, &d) == TL_OK) {
        size_t tl;
        tl_note_text(n, &tl);
        for (size_t i = 0; i < tl_note_sig_count(n); i++) {
            size_t l;
            if (!tl_note_sig_line(n, i, &l) || l == 0) {
                abort();
            }
        }
        tl_note_free(n);
    }
    struct tl_verifier *v = NULL;
    if (tl_verifier_parse(text, size, &v, &d) == TL_OK) {
        tl_verifier_free(v);
    }
    struct tl_signer *s = NULL;
    if (tl_signer_parse(text, size, &s, &d) == TL_OK) {
        tl_signer_free(s);
    }
    struct tl_proof_file pf;
    tl_proof_file_parse(text, size, &pf, &d);
    struct tl_policy *p = NULL;
    if (tl_policy_parse(text, size, &p, &d) == TL_OK) {
        bool all[64] = {false};
        tl_policy_quorum_met(p, all);
        tl_policy_free(p);
    }
    return 0;
}
