/* Fault injection for the fault tests (tests/integration/faults.bats,
 * docs/testing.md "Faults"). WARD_FAULT=CMD:N makes the Nth fault point
 * the command CMD reaches kill ward with SIGKILL; CMD:N:stop stops it
 * with SIGSTOP instead (a test holds it there, then continues or kills
 * it); CMD:list prints every point reached on stderr as
 * "ward-fault: N LABEL", so a test can enumerate N = 1..max. */
#ifndef WARD_UTIL_FAULT_H
#define WARD_UTIL_FAULT_H

/* main: read and remove WARD_FAULT for the command cmd (argv's). */
void ward_fault_init(const char *cmd);
/* A step of a command is done (label: what now exists, for the list). */
void ward_fault_point(const char *label);
/* Before ward re-executes itself (protect.c): put WARD_FAULT back, so the
 * new image (which counts from zero: no point precedes a re-exec) keeps it. */
void ward_fault_env_restore(void);

#endif
