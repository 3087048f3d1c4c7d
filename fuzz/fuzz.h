/*  fuzz.h: what every cdx fuzz target shares.

    Each fuzz_<target>.c defines only LLVMFuzzerTestOneInput. It is linked
    either with libFuzzer (-fsanitize=fuzzer, `make fuzz`) or with replay.c,
    a plain main() that feeds it the saved corpus as an ordinary test, so
    every input that ever mattered is replayed by `make check`.

    A target proves two things: the parser survives any bytes (the
    sanitizers watch), and whatever it accepts survives a round trip
    through the matching encoder. A broken property calls FUZZ_FAIL, which
    prints the reason and aborts, so libFuzzer saves the input as a crash.
    Not for: anything but fuzz targets.
*/
#ifndef FUZZ_H_INCLUDED
#define FUZZ_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_FAIL(...)                                                                             \
    do {                                                                                           \
        fprintf (stderr, "%s:%d: property broken: ", __FILE__, __LINE__);                          \
        fprintf (stderr, __VA_ARGS__);                                                             \
        fputc ('\n', stderr);                                                                      \
        abort ();                                                                                  \
    } while (0)

#endif
