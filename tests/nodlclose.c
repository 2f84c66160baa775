/*
 * Linked into sanitizer builds only: make dlclose a no-op. Open MPI unloads
 * its components at MPI_Finalize, after which LeakSanitizer cannot name the
 * code behind their (Open MPI's own) leaks, so no suppression can match
 * them. Keeping the components mapped lets tests/lsan.supp do its job while
 * every leak of ours is still reported.
 */
int dlclose(void *handle);

int dlclose(void *handle)
{
        (void)handle;
        return 0;
}
