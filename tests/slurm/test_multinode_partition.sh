#!/usr/bin/env bash
# A node cut off mid-study (slurm/local-cluster.sh partition): its ranks live on
# but reach no one; the job must not wait for them past the stated bound. See
# node_failure.sh.
FAILURE=partition source "$(dirname "$0")/node_failure.sh"
