/*  fuzz_keyfile: hostile key files against cx_keypair_parse and
    cx_keypair_parse_protected.

    Every input is tried as each of the three key types (a key file names
    its type, and a file of the wrong type must be refused, not misread).
    Property: a key pair accepted as type T has type T, its public and
    secret halves are the bytes of the file at their fixed offsets, and at
    most one type accepts a file. The secret half is freed (and wiped) by
    cx_keypair_destroy; the leak checker watches that. Not for: file
    modes, symlinks (cx_keypair_load's checks of the path).
*/
#include "cx.h"
#include "fuzz.h"

#include <string.h>

#define KF_PKOFFSET 16u /* cx.h: header of 16 bytes, then pk, then sk */
#define KF_SKOFFSET 48u

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static int ready;
    static const cx_keytype_t types[] = {CX_KEY_SIGN, CX_KEY_BOX, CX_KEY_CURVE};
    int accepted = 0;

    if (!ready) {
        if (cx_init () != 0) FUZZ_FAIL ("cx_init: %s", cx_error ());
        ready = 1;
    }
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        cx_keypair_t *kp = cx_keypair_parse (data, size, types[i]);
        if (!kp) continue;
        size_t sklen = types[i] == CX_KEY_SIGN ? CX_SIGN_SECRETKEYBYTES : CX_BOX_SECRETKEYBYTES;
        accepted++;
        if (cx_keypair_type (kp) != types[i])
            FUZZ_FAIL ("type %d read as %d", (int)types[i], (int)cx_keypair_type (kp));
        if (size != KF_SKOFFSET + sklen) FUZZ_FAIL ("key file of %zu bytes accepted", size);
        if (memcmp (cx_keypair_public (kp), data + KF_PKOFFSET, CX_SIGN_PUBLICKEYBYTES) != 0 ||
            memcmp (cx_keypair_secret (kp), data + KF_SKOFFSET, sklen) != 0)
            FUZZ_FAIL ("key pair differs from the file's bytes");
        cx_keypair_destroy (&kp);
        if (kp) FUZZ_FAIL ("cx_keypair_destroy left the pointer set");
    }
    if (accepted > 1) FUZZ_FAIL ("one file accepted as %d key types", accepted);
    /* The same bytes as a passphrase-protected file (passphrase "x"): the
       envelope is checked before any key derivation; what opens must be a
       key pair of the asked type, and at most one type. */
    accepted = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        cx_keypair_t *kp = cx_keypair_parse_protected (data, size, types[i], "x", 1);
        if (!kp) continue;
        accepted++;
        if (cx_keypair_type (kp) != types[i])
            FUZZ_FAIL ("protected: type %d read as %d", (int)types[i], (int)cx_keypair_type (kp));
        cx_keypair_destroy (&kp);
    }
    if (accepted > 1) FUZZ_FAIL ("one protected file accepted as %d key types", accepted);
    return 0;
}
