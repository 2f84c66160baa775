/*
 * Idle policy: what a rank does when a pass of its event loop found no work.
 * busy spins (lowest latency when every rank has a core of its own); yield
 * gives the core to another runnable rank (sched_yield), which is what an
 * oversubscribed node needs; sleep naps briefly (lowest CPU use). The
 * resolved policy is recorded in the result.
 */
#include <sched.h>
#include <time.h>

#include "run/rt.h"

void bl_rt_idle(void *arg)
{
        struct bl_rt *rt = arg;

        switch (rt->idle_yield) {
        case 1:
                sched_yield();
                break;
        case 2: {
                struct timespec ts = {0, 20000};
                nanosleep(&ts, NULL);
                break;
        }
        default:
                break;
        }
}

/* Wait for a request (a non-blocking collective) while serving nothing,
 * idling between tests so oversubscribed ranks do not starve each other.
 * Returns 0 or BL_EMPI. */
int bl_rt_wait(struct bl_rt *rt, MPI_Request *req)
{
        int flag = 0;

        for (;;) {
                if (MPI_Test(req, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
                        return BL_EMPI;
                if (flag)
                        return 0;
                bl_rt_idle(rt);
        }
}
