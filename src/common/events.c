/* Event names. */
#include "common/events.h"

static const char *const names[] = {
#define BL_EV_STR(code, name, args) name,
    BL_EVENTS(BL_EV_STR)
#undef BL_EV_STR
};

const char *bl_event_name(int type)
{
        if (type < 0 || type >= BL_EV__COUNT)
                return "?";
        return names[type];
}
