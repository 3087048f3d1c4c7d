# make soak: the kill loop of tests/integration/t_killloop.sh, longer and
# bigger (not part of make check). SIGKILL the sender, then the receiver,
# SOAK_CYCLES times (default 200), each kill once chunks flow again (up to
# SOAK_FLOW_WAIT ms, default 2000) and then at a random moment, during
# SOAK_MIB of datasets (default "768 256", topped up 128 MiB at a time when
# everything has arrived, at most SOAK_MAX_TOPUPS = 20 times), then check
# that everything arrived exactly once, intact, with both stores clean; at
# least SOAK_MIN_HITS kills (default 100) must land while a dataset is still
# on its way. Takes 15-30 minutes and up to 3 times the data (~11 GB at
# most) in $TMPDIR.
# Usage: CDX=build/cdx sh tests/soak/soak_killloop.sh   (make soak sets CDX)
: "${CDX:?set CDX to the cdx binary}"
here=$(cd "$(dirname "$0")" && pwd)
KILLLOOP_CYCLES=${SOAK_CYCLES:-200} \
KILLLOOP_MIB=${SOAK_MIB:-768 256} \
KILLLOOP_SLEEP=${SOAK_SLEEP:-50 600} \
KILLLOOP_TOPUP=${SOAK_TOPUP:-128} \
KILLLOOP_MAX_TOPUPS=${SOAK_MAX_TOPUPS:-20} \
KILLLOOP_FINISH=${SOAK_FINISH:-600} \
KILLLOOP_FLOW_WAIT=${SOAK_FLOW_WAIT:-2000} \
KILLLOOP_MIN_HITS=${SOAK_MIN_HITS:-100} \
    exec sh "$here/../integration/t_killloop.sh"
