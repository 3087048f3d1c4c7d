#!/bin/sh
# Raw crypto ceilings of the constructions cdx uses (bench/ceilings.c, built
# here against the system libsodium), on one core. Where the throughput case
# ran first (BENCH_STATE/cdx_mbps), the ratio says what fraction of each
# byte-rate ceiling cdx's end-to-end throughput reached.
# Usage: bench/ceilings.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"

if quick; then BUDGET=0.2; else BUDGET=1.0; fi
# shellcheck disable=SC2046  # pkg-config's flags are meant to be split
cc -O2 -std=gnu11 -o "$W/ceilings" "$BENCH_DIR/ceilings.c" $(pkg-config --cflags --libs libsodium) ||
    die "could not build ceilings.c (libsodium-dev, pkg-config)"
"$W/ceilings" "$BUDGET" > "$W/out" || die "ceilings failed"

cdx_mbps=""
[ -n "${BENCH_STATE:-}" ] && [ -f "$BENCH_STATE/cdx_mbps" ] && cdx_mbps=$(cat "$BENCH_STATE/cdx_mbps")
val() { awk -F '\t' -v k="$1" '$1 == k { print $2 }' "$W/out"; }

while IFS="$(printf '\t')" read -r _ value unit what; do
    if [ "$unit" = "GB/s" ]; then
        mb=$(f "$value * 1000" 0)
        r="—"; [ -n "$cdx_mbps" ] && r="cdx at $(f "$cdx_mbps / $mb" 2)× of it"
        row "Ceiling: $what" "$mb MB/s" "—" "$r" "—" "info"
    else
        row "Ceiling: $what" "$value /s" "—" "—" "—" "info"
    fi
done < "$W/out"

# The per-byte crypto work of one delivery, all of it on one core: hash and
# seal at the publisher, CURVE box and open on the wire, open and hash at the
# subscriber.
one=$(f "1000 / (1 / $(val blake2b) + 1 / $(val xchacha_seal) + 1 / $(val xsalsa_box) + 1 / $(val xsalsa_open) + 1 / $(val xchacha_open) + 1 / $(val blake2b))" 0)
r="—"; [ -n "$cdx_mbps" ] && r="cdx at $(f "$cdx_mbps / $one" 2)× of it"
row "Ceiling: all crypto of one delivery on one core (2× hash, seal, open, CURVE box and open)" "$one MB/s" "—" "$r" "—" "info"

note "### Crypto ceilings"
note ""
note "libsodium $(pkg-config --modversion libsodium), one thread, about $BUDGET s per figure; byte rates"
note "in MB/s (10^6 bytes). The one-core figure adds the per-byte CPU of every construction a"
note "delivery passes through; the two nodes can spread it over two cores."
note ""
