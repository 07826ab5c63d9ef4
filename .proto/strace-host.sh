#!/bin/bash
# attach strace to the wactor up child while lat.ts runs
( sleep 12; pid=$(pgrep -f "bin/wactor.js up" | head -1); timeout 3 strace -c -f -p $pid -e trace=write,writev,read,epoll_wait 2> /tmp/strace-host.txt ) &
( sleep 12; pid=$(pgrep -f "bench.raw" | head -1); timeout 3 strace -c -f -p $pid -e trace=write,writev,read,epoll_wait 2> /tmp/strace-raw.txt ) &
SECS=8 timeout 300 node --import tsx .proto/lat.ts ponger 2>&1 | grep -v AS210
wait
