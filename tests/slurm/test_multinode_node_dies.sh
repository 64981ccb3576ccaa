#!/usr/bin/env bash
# A node that dies mid-study (slurm/local-cluster.sh kill-node): see node_failure.sh.
FAILURE=kill-node source "$(dirname "$0")/node_failure.sh"
