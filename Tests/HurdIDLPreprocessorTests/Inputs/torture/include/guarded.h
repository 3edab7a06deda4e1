/* A guarded header: its body appears once. */
#ifndef GUARDED_H
#define GUARDED_H
#define GUARD_VALUE 42
guarded_body
#endif /* GUARDED_H */
