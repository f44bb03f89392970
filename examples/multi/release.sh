#!/bin/sh
# paas multi-process example, release phase: proves it ran by logging a
# line and writing a marker file (RELEASE_MARKER, default
# /tmp/paas-multi-release) with the time it ran.
marker=${RELEASE_MARKER:-/tmp/paas-multi-release}
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "release phase ran at $now" > "$marker" || exit 1
echo "multi: release phase ran at $now (marker $marker)"
