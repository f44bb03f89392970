#!/bin/sh
# paas multi-process example, worker type: writes to the log every few
# seconds (WORKER_INTERVAL, default 3).
n=0
while :; do
	n=$((n + 1))
	echo "worker ${DYNO:-local}: tick $n"
	sleep "${WORKER_INTERVAL:-3}"
done
