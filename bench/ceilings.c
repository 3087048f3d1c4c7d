/* Raw ceilings of the libsodium constructions cdx uses, on one core.
 *
 * Build: cc -O2 -o ceilings bench/ceilings.c $(pkg-config --cflags --libs libsodium)
 * Usage: ceilings [SECONDS]   (time spent on each measurement; default 1.0)
 *
 * Prints one line per measurement, tab-separated: key, value, unit, what.
 * Byte rates are in GB/s (10^9 bytes per second), operations in ops/s.
 *
 * What cdx does with each (docs/ARCHITECTURE.md):
 *   - XChaCha20-Poly1305 (IETF AEAD) seals and opens every 1 MiB chunk;
 *   - BLAKE2b-256 hashes the plaintext at the publisher and the receiver;
 *   - Ed25519 signs manifests and receipts, and verifies them;
 *   - crypto_box_seal wraps the content key for each recipient;
 *   - XSalsa20-Poly1305 (crypto_box, precomputed key) is what ZeroMQ's
 *     CURVE mechanism applies to every message again on the wire.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MSG (1024u * 1024u)   /* one cdx chunk */
#define MANIFEST 300u         /* about the size of a signed manifest */

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Runs body repeatedly for about `budget` seconds; returns iterations/s. */
#define RATE(budget, body)                                   \
    ({                                                       \
        double t0_ = now (), t_;                             \
        unsigned long n_ = 0;                                \
        do {                                                 \
            for (int k_ = 0; k_ < 8; k_++) { body; n_++; }   \
            t_ = now () - t0_;                               \
        } while (t_ < (budget));                             \
        (double) n_ / t_;                                    \
    })

static volatile unsigned char sink;

static void die (const char *what)
{
    fprintf (stderr, "ceilings: %s failed\n", what);
    exit (1);
}

int main (int argc, char **argv)
{
    double budget = argc > 1 ? atof (argv[1]) : 1.0;
    if (budget <= 0) budget = 1.0;
    if (sodium_init () < 0) die ("sodium_init");

    unsigned char *plain = malloc (MSG);
    unsigned char *sealed = malloc (MSG + 64);
    unsigned char *back = malloc (MSG);
    if (!plain || !sealed || !back) die ("malloc");
    randombytes_buf (plain, MSG);

    /* XChaCha20-Poly1305, 1 MiB messages, 24 bytes of associated data
       (cdx binds the dataset id and the chunk index). */
    unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {0};
    unsigned char ad[24] = {0};
    crypto_aead_xchacha20poly1305_ietf_keygen (key);
    unsigned long long clen = 0, mlen = 0;
    double r = RATE (budget, {
        nonce[0]++;
        crypto_aead_xchacha20poly1305_ietf_encrypt (sealed, &clen, plain, MSG, ad, sizeof ad,
                                                    NULL, nonce, key);
    });
    printf ("xchacha_seal\t%.3f\tGB/s\tXChaCha20-Poly1305 seal, 1 MiB messages\n", r * MSG / 1e9);
    nonce[0] = 7;
    crypto_aead_xchacha20poly1305_ietf_encrypt (sealed, &clen, plain, MSG, ad, sizeof ad, NULL,
                                                nonce, key);
    r = RATE (budget, {
        if (crypto_aead_xchacha20poly1305_ietf_decrypt (back, &mlen, NULL, sealed, clen, ad,
                                                        sizeof ad, nonce, key) != 0)
            die ("xchacha open");
    });
    printf ("xchacha_open\t%.3f\tGB/s\tXChaCha20-Poly1305 open, 1 MiB messages\n", r * MSG / 1e9);

    /* BLAKE2b-256, streaming in 1 MiB updates as cdx does. */
    crypto_generichash_state st;
    unsigned char h[32];
    crypto_generichash_init (&st, NULL, 0, sizeof h);
    r = RATE (budget, crypto_generichash_update (&st, plain, MSG));
    crypto_generichash_final (&st, h, sizeof h);
    sink ^= h[0];
    printf ("blake2b\t%.3f\tGB/s\tBLAKE2b-256, 1 MiB updates\n", r * MSG / 1e9);

    /* XSalsa20-Poly1305 with a precomputed key: CURVE's per-message box. */
    unsigned char bpk[crypto_box_PUBLICKEYBYTES], bsk[crypto_box_SECRETKEYBYTES];
    unsigned char bk[crypto_box_BEFORENMBYTES], bnonce[crypto_box_NONCEBYTES] = {0};
    crypto_box_keypair (bpk, bsk);
    if (crypto_box_beforenm (bk, bpk, bsk) != 0) die ("crypto_box_beforenm");
    r = RATE (budget, {
        bnonce[0]++;
        crypto_box_easy_afternm (sealed, plain, MSG, bnonce, bk);
    });
    printf ("xsalsa_box\t%.3f\tGB/s\tXSalsa20-Poly1305 box (CURVE transport), 1 MiB messages\n",
            r * MSG / 1e9);
    r = RATE (budget, {
        if (crypto_box_open_easy_afternm (back, sealed, MSG + crypto_box_MACBYTES, bnonce, bk) != 0)
            die ("crypto_box_open");
    });
    printf ("xsalsa_open\t%.3f\tGB/s\tXSalsa20-Poly1305 open (CURVE transport), 1 MiB messages\n",
            r * MSG / 1e9);

    /* Ed25519 over a manifest-sized message. */
    unsigned char spk[crypto_sign_PUBLICKEYBYTES], ssk[crypto_sign_SECRETKEYBYTES];
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_keypair (spk, ssk);
    r = RATE (budget / 2, crypto_sign_detached (sig, NULL, plain, MANIFEST, ssk));
    printf ("ed25519_sign\t%.0f\tops/s\tEd25519 sign, 300-byte message\n", r);
    r = RATE (budget / 2, {
        if (crypto_sign_verify_detached (sig, plain, MANIFEST, spk) != 0) die ("ed25519 verify");
    });
    printf ("ed25519_verify\t%.0f\tops/s\tEd25519 verify, 300-byte message\n", r);

    /* crypto_box_seal of a 32-byte content key for one recipient. */
    unsigned char wrapped[32 + crypto_box_SEALBYTES], opened[32];
    r = RATE (budget / 2, crypto_box_seal (wrapped, key, sizeof key, bpk));
    printf ("box_seal\t%.0f\tops/s\tcrypto_box_seal of a 32-byte content key\n", r);
    r = RATE (budget / 2, {
        if (crypto_box_seal_open (opened, wrapped, sizeof wrapped, bpk, bsk) != 0)
            die ("crypto_box_seal_open");
    });
    printf ("box_seal_open\t%.0f\tops/s\tcrypto_box_seal_open of a 32-byte content key\n", r);

    sink ^= back[0] ^ opened[0] ^ sig[0];
    free (plain);
    free (sealed);
    free (back);
    return 0;
}
