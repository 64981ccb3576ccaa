# As test_requeue.sh, on a cluster where requeue is not allowed (--no-requeue):
# the train job submits itself again and the cluster + report job follows the new id.
export CP_REQUEUE_MODE=resubmit
source "$(dirname "$0")/test_requeue.sh"
