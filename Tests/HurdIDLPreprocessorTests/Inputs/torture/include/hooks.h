/* Used with -imacros: only the definitions count. */
this_text_does_not_appear
#define HOOK_INTRAN intran: port_t convert_port(mach_port_t)
#define HOOK_OUTTRAN outtran: mach_port_t convert_back(port_t)
