/* The one list of protocol kernels. Adding a kernel: a folder and one line here. */
#include <string.h>

#include "kernels/kernel.h"

extern const struct bl_kernel bl_kernel_none;
extern const struct bl_kernel bl_kernel_raft;
extern const struct bl_kernel bl_kernel_paxos;
extern const struct bl_kernel bl_kernel_2pc;

const struct bl_kernel *const bl_kernels[] = {
    &bl_kernel_none, &bl_kernel_raft, &bl_kernel_paxos, &bl_kernel_2pc, NULL,
};

const struct bl_kernel *bl_kernel_find(const char *name)
{
        for (int i = 0; bl_kernels[i] != NULL; i++)
                if (strcmp(bl_kernels[i]->name, name) == 0)
                        return bl_kernels[i];
        return NULL;
}
